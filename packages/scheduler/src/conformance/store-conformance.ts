import { describe } from "node:test";
import { describeEventCases } from "./event-cases.js";
import { type OpenStore, withStoreFrom } from "./harness.js";
import { describeLifecycleCases } from "./lifecycle-cases.js";
import { describeOutboxCases } from "./outbox-cases.js";
import { describeOutcomeCases } from "./outcome-cases.js";
import { describeQueueingCases } from "./queueing-cases.js";
import { describeRejectedCases } from "./rejected-cases.js";

/**
 * The conformance suite every `SchedulerStore` must pass: one node:test case or more per numbered item of the
 * README's "Semantics". Tests drive the store's methods directly with a controlled `now` (no wall clock, no
 * sleeps; only effects a store applies on its own clock, like Redis key expiry and pub/sub, are polled with a
 * deadline). Every test opens its own store through `open` and uses unique endpoint ids.
 */
export function describeStoreConformance(name: string, open: OpenStore): void {
  // A realistic base time, so stores that mix store time with a server clock (PEXPIRE) stay sane.
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const withStore = withStoreFrom(open);
  describe(`SchedulerStore conformance: ${name}`, () => {
    describeQueueingCases(withStore, t0);
    describeOutcomeCases(withStore, t0);
    describeLifecycleCases(withStore, t0);
    describeOutboxCases(withStore, t0);
    describeRejectedCases(withStore, t0);
    describeEventCases(withStore, t0);
  });
}
