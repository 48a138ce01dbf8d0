import { describe } from "node:test";
import { type OpenHistory, withHistoryFrom } from "./harness.js";
import { describeLifecycleCases } from "./lifecycle-cases.js";
import { describeQueryCases } from "./query-cases.js";
import { describeWriteCases } from "./write-cases.js";

/**
 * The conformance suite every `HistoryStore` must pass, one case or more per numbered semantic of
 * `history-store.ts`. Every test opens its own empty store through `open` and uses unique ids; times are given
 * (no wall clock, no sleeps).
 */
export function describeHistoryConformance(name: string, open: OpenHistory): void {
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const withHistory = withHistoryFrom(open);
  describe(`HistoryStore conformance: ${name}`, () => {
    describeWriteCases(withHistory, t0);
    describeQueryCases(withHistory, t0);
    describeLifecycleCases(withHistory, t0);
  });
}
