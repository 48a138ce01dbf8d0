import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerEvent } from "../scheduler-events.js";
import type { SchedulerStore } from "../store.js";
import type { PolicyOverrides } from "./fixtures.js";
import { attemptAt, claimAll, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

/** The events `complete` reports for one endpoint, collected from `onEvent`. */
function recordEvents(store: SchedulerStore, endpointId: string): { readonly events: SchedulerEvent[] } {
  const events: SchedulerEvent[] = [];
  store.onEvent((event) => {
    if (event.endpointId === endpointId) events.push(event);
  });
  return { events };
}

async function setUp(store: SchedulerStore, overrides: PolicyOverrides, count: number, now: number) {
  const ep = uniqueId("ep");
  await store.syncEndpoints([testEndpoint(ep, overrides)]);
  const recorded = recordEvents(store, ep);
  for (let i = 0; i < count; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now });
  return { ep, events: recorded.events };
}

const BREAKER = { windowMs: 10_000, minRequests: 2, failureRate: 0.5, cooldownMs: 5_000, disableAfterMs: 0 };

/** Fails every claimable delivery at `now` with a retry due at `dueAt`. */
async function failAll(store: SchedulerStore, now: number, dueAt: number, max?: number): Promise<number> {
  const claimed = await claimAll(store, now, max === undefined ? {} : { max });
  await store.complete(
    "w1",
    claimed.map((d) => ({ deliveryId: d.deliveryId, kind: "retry" as const, attempt: attemptAt(now, 500), dueAt })),
    now,
  );
  return claimed.length;
}

/** Semantics 13: what `onEvent` reports, once per change, for operator alerts. */
export function describeEventCases(withStore: WithStore, t0: number): void {
  describe("13. operator events", () => {
    it("reports the breaker opening once, not a failed probe, and its closing", () =>
      withStore(async (store) => {
        const { ep, events } = await setUp(store, { breaker: BREAKER }, 4, t0);
        assert.equal(await failAll(store, t0, t0 + 1, 2), 2);
        assert.deepEqual(events, [{ kind: "endpoint.breaker.opened", endpointId: ep, at: t0, openUntil: t0 + 5000 }]);
        assert.equal(await failAll(store, t0 + 5000, t0 + 5001), 1); // the half-open probe fails: no news
        assert.equal(events.length, 1);
        const [probe] = await claimAll(store, t0 + 10_000);
        await store.complete(
          "w1",
          [{ deliveryId: probe?.deliveryId ?? "", kind: "delivered", attempt: attemptAt(t0 + 10_000, 200) }],
          t0 + 10_001,
        );
        assert.deepEqual(events.slice(1), [{ kind: "endpoint.breaker.closed", endpointId: ep, at: t0 + 10_001 }]);
      }));

    it("reports an endpoint disabled by 410 Gone and by failing for too long", () =>
      withStore(async (store) => {
        const gone = await setUp(store, {}, 1, t0);
        const [claimed] = await claimAll(store, t0);
        await store.complete(
          "w1",
          [{ deliveryId: claimed?.deliveryId ?? "", kind: "gone", attempt: attemptAt(t0, 410) }],
          t0 + 1,
        );
        assert.deepEqual(gone.events, [
          { kind: "endpoint.disabled", endpointId: gone.ep, at: t0 + 1, reason: "410 Gone" },
        ]);

        const failing = await setUp(store, { breaker: { disableAfterMs: 1000 } }, 1, t0);
        await failAll(store, t0, t0 + 1000);
        assert.deepEqual(failing.events, []);
        await failAll(store, t0 + 1000, t0 + 2000);
        assert.deepEqual(failing.events, [
          { kind: "endpoint.disabled", endpointId: failing.ep, at: t0 + 1000, reason: "failing for more than 1000 ms" },
        ]);
        await store.setEndpointEnabled(failing.ep, true, t0 + 2000);
        assert.equal(failing.events.length, 1);
      }));

    it("reports each dead letter with its reason, attempts and event type", () =>
      withStore(async (store) => {
        const { ep, events } = await setUp(store, {}, 1, t0);
        await failAll(store, t0, t0 + 1);
        const [claimed] = await claimAll(store, t0 + 1);
        const deliveryId = claimed?.deliveryId ?? "";
        const info = await store.getDelivery(deliveryId);
        await store.complete(
          "w1",
          [{ deliveryId, kind: "dead", attempt: attemptAt(t0 + 2, 500), reason: "retries exhausted" }],
          t0 + 2,
        );
        assert.deepEqual(events, [
          {
            kind: "delivery.dead",
            endpointId: ep,
            at: t0 + 2,
            deliveryId,
            messageId: info?.messageId,
            reason: "retries exhausted",
            attempts: 2,
            eventType: "test.event",
          },
        ]);
      }));
  });
}
