import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "@hookyard/core";
import { nextRetry } from "./next-retry.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const noJitter = () => 0;
const maxJitter = () => 0.999_999;

describe("nextRetry", () => {
  it("follows the default schedule after each failed attempt", () => {
    const table: [attempt: number, delayMs: number][] = [
      [1, 5 * SECOND],
      [2, 5 * MINUTE],
      [3, 30 * MINUTE],
      [4, 2 * HOUR],
      [5, 5 * HOUR],
      [6, 10 * HOUR],
      [7, 14 * HOUR],
      [8, 20 * HOUR],
      [9, 24 * HOUR],
    ];
    for (const [attempt, delayMs] of table) {
      assert.deepEqual(
        nextRetry(DEFAULT_RETRY_POLICY, attempt, {}, noJitter),
        { kind: "retry", delayMs },
        `#${attempt}`,
      );
    }
  });

  it("gives up after scheduleMs.length attempts", () => {
    assert.deepEqual(nextRetry(DEFAULT_RETRY_POLICY, 10, {}, noJitter), {
      kind: "exhausted",
      reason: "retries exhausted after 10 attempts",
    });
    const once: RetryPolicy = { ...DEFAULT_RETRY_POLICY, scheduleMs: [0] };
    assert.deepEqual(nextRetry(once, 1, {}, noJitter), {
      kind: "exhausted",
      reason: "retries exhausted after 1 attempts",
    });
  });

  it("adds jitter up to jitter * delay", () => {
    const table: [random: () => number, delayMs: number][] = [
      [noJitter, 5 * MINUTE],
      [() => 0.5, 5 * MINUTE + 15 * SECOND],
      [maxJitter, 5 * MINUTE + 30 * SECOND - 1],
    ];
    for (const [random, delayMs] of table) {
      assert.deepEqual(nextRetry(DEFAULT_RETRY_POLICY, 2, {}, random), { kind: "retry", delayMs });
    }
  });

  it("honours a longer delayMs (Retry-After, throttling) within maxRetryAfterMs", () => {
    const table: [outcomeDelay: number, expected: number][] = [
      [1 * SECOND, 5 * SECOND], // shorter than the schedule: the schedule wins
      [2 * MINUTE, 2 * MINUTE],
      [6 * HOUR, 6 * HOUR],
      [48 * HOUR, 6 * HOUR], // capped to maxRetryAfterMs
      [-5, 5 * SECOND],
    ];
    for (const [delayMs, expected] of table) {
      assert.deepEqual(
        nextRetry(DEFAULT_RETRY_POLICY, 1, { delayMs }, noJitter),
        { kind: "retry", delayMs: expected },
        `delayMs ${delayMs}`,
      );
    }
  });

  it("does not retry beyond the schedule even when Retry-After asks for a short wait", () => {
    assert.equal(nextRetry(DEFAULT_RETRY_POLICY, 10, { delayMs: 1 }, noJitter).kind, "exhausted");
  });
});
