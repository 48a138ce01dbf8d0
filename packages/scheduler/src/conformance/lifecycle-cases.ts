import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerStore } from "../store.js";
import { attemptAt, claimAll, eventually, sortedIds, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

const ascending = (times: readonly number[]): number[] => [...times].sort((a, b) => a - b);

async function enqueueKeyed(store: SchedulerStore, ep: string, key: string | undefined, now: number): Promise<string> {
  const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(key), endpointIds: [ep], now });
  return deliveryIds[0] ?? "";
}

async function settle(
  store: SchedulerStore,
  id: string,
  kind: "delivered" | "dead" | "retry",
  now: number,
  dueAt = now,
): Promise<void> {
  const attempt = attemptAt(now, kind === "delivered" ? 200 : 500);
  const result =
    kind === "delivered"
      ? { deliveryId: id, kind, attempt }
      : kind === "dead"
        ? { deliveryId: id, kind, attempt, reason: "retries exhausted after 1 attempts" }
        : { deliveryId: id, kind, attempt, dueAt };
  await store.complete("w1", [result], now);
}

/** Semantics 9, 11, 12: per-key order, the attempts of a live delivery, wake-ups (10, requeue: outbox-cases). */
export function describeLifecycleCases(withStore: WithStore, t0: number): void {
  describe("9. per-key order", () => {
    it("sends one delivery per key at a time; other keys and unkeyed deliveries run in parallel", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { orderedByKey: true })]);
        const a = await enqueueKeyed(store, ep, "k1", t0);
        const b = await enqueueKeyed(store, ep, "k1", t0 + 1);
        const c = await enqueueKeyed(store, ep, "k2", t0 + 2);
        const d = await enqueueKeyed(store, ep, undefined, t0 + 3);
        const e = await enqueueKeyed(store, ep, undefined, t0 + 4);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 10)), [a, c, d, e].sort());
        assert.equal((await store.getDelivery(b))?.status, "queued");
        await settle(store, a, "delivered", t0 + 11);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 12)), [b]);
      }));

    it("keeps enqueue order within one millisecond", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { orderedByKey: true })]);
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push(await enqueueKeyed(store, ep, "same", t0));
        const sent: string[] = [];
        for (let step = 0; step < 6; step++) {
          const claimed = await claimAll(store, t0 + step);
          assert.equal(claimed.length, 1);
          sent.push(claimed[0]?.deliveryId ?? "");
          await settle(store, claimed[0]?.deliveryId ?? "", "delivered", t0 + step);
        }
        assert.deepEqual(sent, ids);
      }));

    it("holds later deliveries of the key while the first waits for its retry", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { orderedByKey: true })]);
        const a = await enqueueKeyed(store, ep, "k1", t0);
        const b = await enqueueKeyed(store, ep, "k1", t0 + 1);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 2)), [a]);
        await settle(store, a, "retry", t0 + 3, t0 + 1000);
        assert.deepEqual(await claimAll(store, t0 + 500), []);
        const retried = await claimAll(store, t0 + 1000);
        assert.deepEqual(
          retried.map((delivery) => [delivery.deliveryId, delivery.attempt]),
          [[a, 2]],
        );
        await settle(store, a, "dead", t0 + 1001);
        // A dead delivery releases the next one.
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 1002)), [b]);
      }));

    it("does not order endpoints without orderedByKey", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const a = await enqueueKeyed(store, ep, "k1", t0);
        const b = await enqueueKeyed(store, ep, "k1", t0 + 1);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 2)), [a, b].sort());
      }));
  });

  describe("11. attempts of a live delivery", () => {
    it("keeps the last 20 attempts per delivery", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const id = await enqueueKeyed(store, ep, undefined, t0);
        for (let i = 0; i < 25; i++) {
          await claimAll(store, t0 + i);
          await settle(store, id, "retry", t0 + i);
        }
        const attempts = await store.listAttempts(id);
        assert.equal(attempts.length, 20);
        assert.equal(attempts[0]?.startedAt, new Date(t0 + 5).toISOString());
        assert.equal(attempts[19]?.startedAt, new Date(t0 + 24).toISOString());
        assert.equal((await store.getDelivery(id))?.attempts, 25);
      }));
  });

  describe("12. wake-ups", () => {
    it("wakes listeners on enqueue, requeue and enable, and stops after unsubscribe", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        let wakes = 0;
        const unsubscribe = store.onWake(() => {
          wakes += 1;
        });
        let seen = 0;
        const expectWake = async (what: string) => {
          await eventually(`a wake-up after ${what}`, async () => wakes > seen);
          seen = wakes;
        };
        const id = await enqueueKeyed(store, ep, undefined, t0);
        await expectWake("enqueue");
        const [claimed] = await claimAll(store, t0);
        await settle(store, id, "dead", t0 + 1);
        await store.requeue(
          [
            {
              deliveryId: id,
              messageId: id,
              endpointId: ep,
              createdAt: t0,
              envelope: claimed?.envelope ?? testEnvelope(),
            },
          ],
          t0 + 2,
        );
        await expectWake("requeue");
        await store.setEndpointEnabled(ep, false, t0 + 3);
        await store.setEndpointEnabled(ep, true, t0 + 4);
        await expectWake("enable");

        unsubscribe();
        const after = wakes;
        let second = 0;
        const unsubscribeSecond = store.onWake(() => {
          second += 1;
        });
        await enqueueKeyed(store, ep, undefined, t0 + 5);
        // Wake-ups reach listeners in order, so once the second listener saw this one the first would have too.
        await eventually("a wake-up for the second listener", async () => second > 0);
        assert.equal(wakes, after);
        unsubscribeSecond();
      }));

    it("names the time an enqueue made work due: a held endpoint's next slot, once, not now", () =>
      withStore(async (store) => {
        const [limited, broken, idle] = [uniqueId("ep-limited"), uniqueId("ep-broken"), uniqueId("ep-idle")];
        await store.syncEndpoints([
          // T = 1000 ms, no burst: after a lease at t0 the next may go at t0 + 1000.
          testEndpoint(limited, { rateLimit: { perSecond: 1, burst: 1 } }),
          // Opens on its first failure, for 5 s.
          testEndpoint(broken, { breaker: { minRequests: 1, failureRate: 0.5, cooldownMs: 5000 } }),
          testEndpoint(idle),
        ]);
        // Each leased once and settled: their queues are empty, so they are out of the schedule.
        const a = await enqueueKeyed(store, limited, undefined, t0);
        const b = await enqueueKeyed(store, broken, undefined, t0);
        assert.equal((await claimAll(store, t0)).length, 2);
        await settle(store, a, "delivered", t0 + 1);
        await settle(store, b, "dead", t0 + 1);
        assert.equal((await store.getEndpointState(broken, t0 + 1)).breaker, "open");

        const woke: number[] = [];
        const unsubscribe = store.onWake((dueAt) => {
          if (dueAt !== undefined) woke.push(dueAt); // undefined: a reconnect's "look again", not this test's
        });
        await enqueueKeyed(store, limited, undefined, t0 + 2);
        await enqueueKeyed(store, limited, undefined, t0 + 3); // its entry is at t0 + 1000 already: no wake-up
        await enqueueKeyed(store, broken, undefined, t0 + 4);
        await enqueueKeyed(store, idle, undefined, t0 + 5);
        // Compared as sets: on a Cluster the endpoints' shards publish from different nodes, whose wake-ups reach
        // the store on different connections, in no set order.
        await eventually("the three wake-ups", async () => woke.length >= 3);
        assert.deepEqual(ascending(woke), [t0 + 5, t0 + 1000, t0 + 5001]);
        unsubscribe();
      }));

    it("names the time a replay made work due, as an enqueue does", () =>
      withStore(async (store) => {
        const [limited, idle] = [uniqueId("ep-limited"), uniqueId("ep-idle")];
        await store.syncEndpoints([
          testEndpoint(limited, { rateLimit: { perSecond: 1, burst: 1 } }),
          testEndpoint(idle),
        ]);
        const id = await enqueueKeyed(store, limited, undefined, t0);
        const [claimed] = await claimAll(store, t0);
        await settle(store, id, "dead", t0 + 1); // out of Redis, its queue empty: out of the schedule
        const woke: number[] = [];
        const unsubscribe = store.onWake((dueAt) => {
          if (dueAt !== undefined) woke.push(dueAt);
        });
        const envelope = claimed?.envelope ?? testEnvelope();
        await store.requeue([{ deliveryId: id, messageId: id, endpointId: limited, createdAt: t0, envelope }], t0 + 2);
        await enqueueKeyed(store, idle, undefined, t0 + 3);
        await eventually("both wake-ups", async () => woke.length >= 2);
        // The rate limit lets the replayed delivery go at t0 + 1000, not at the replay's t0 + 2.
        assert.deepEqual(ascending(woke), [t0 + 3, t0 + 1000]);
        unsubscribe();
      }));
  });
}
