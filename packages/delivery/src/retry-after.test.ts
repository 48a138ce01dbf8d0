import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clampDelay, parseRetryAfter } from "./retry-after.js";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const table: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ["0", 0],
    ["120", 120_000],
    [" 5 ", 5_000],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30_000],
    ["Wed, 31 Dec 2025 23:00:00 GMT", 0],
    ["-5", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["2026-01-01T00:01:00Z", undefined],
    ["", undefined],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value)} -> ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

describe("clampDelay", () => {
  it("bounds to [min, max] and lets max win", () => {
    assert.equal(clampDelay(5, 10, 100), 10);
    assert.equal(clampDelay(500, 10, 100), 100);
    assert.equal(clampDelay(50, 10, 100), 50);
    assert.equal(clampDelay(50, 200, 100), 100);
  });
});
