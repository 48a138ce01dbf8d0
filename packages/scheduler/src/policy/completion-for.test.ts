import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AttemptRecord, DEFAULT_RETRY_POLICY, type DeliveryOutcome } from "@hookyard/core";
import type { CompletionResult } from "../store.js";
import { completionFor } from "./completion-for.js";

const now = 1_000_000;
const attempt: AttemptRecord = { startedAt: new Date(now).toISOString(), durationMs: 12, status: 500 };

describe("completionFor", () => {
  const table: [name: string, attemptNumber: number, outcome: DeliveryOutcome, expected: CompletionResult][] = [
    ["2xx", 1, { kind: "delivered", attempt }, { deliveryId: "d", kind: "delivered", attempt }],
    [
      "500 on the first attempt",
      1,
      { kind: "retry", attempt },
      { deliveryId: "d", kind: "retry", attempt, dueAt: now + 5000 },
    ],
    [
      "429 with Retry-After",
      2,
      { kind: "retry", attempt, delayMs: 600_000 },
      { deliveryId: "d", kind: "retry", attempt, dueAt: now + 600_000 },
    ],
    [
      "500 on the last attempt",
      10,
      { kind: "retry", attempt },
      { deliveryId: "d", kind: "dead", attempt, reason: "retries exhausted after 10 attempts" },
    ],
    ["410", 3, { kind: "gone", attempt }, { deliveryId: "d", kind: "gone", attempt }],
    [
      "SSRF-blocked",
      1,
      {
        kind: "rejected",
        attempt: { ...attempt, errorClass: "ssrf_blocked", errorMessage: "address 10.0.0.1 refused" },
      },
      {
        deliveryId: "d",
        kind: "dead",
        attempt: { ...attempt, errorClass: "ssrf_blocked", errorMessage: "address 10.0.0.1 refused" },
        reason: "rejected: address 10.0.0.1 refused",
      },
    ],
  ];
  for (const [name, attemptNumber, outcome, expected] of table) {
    it(`maps ${name}`, () => {
      const result = completionFor(
        { deliveryId: "d", attempt: attemptNumber },
        outcome,
        DEFAULT_RETRY_POLICY,
        now,
        () => 0,
      );
      assert.deepEqual(result, expected);
    });
  }
});
