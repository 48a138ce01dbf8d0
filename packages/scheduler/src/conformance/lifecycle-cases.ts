import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerStore } from "../store.js";
import { attemptAt, claimAll, eventually, sortedIds, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

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

/** Semantics 9–12: per-key order, replay, retention, wake-ups. */
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

  describe("10. replay", () => {
    it("replays one delivery due now with its retry count reset, keeping the attempt log", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const id = await enqueueKeyed(store, ep, undefined, t0);
        assert.equal(await store.replayDelivery(id, t0), false, "a queued delivery is not replayed");
        await claimAll(store, t0);
        assert.equal(await store.replayDelivery(id, t0), false, "a leased delivery is not replayed");
        await settle(store, id, "dead", t0 + 1);
        assert.equal(await store.replayDelivery(uniqueId("missing"), t0 + 2), false);
        assert.equal(await store.replayDelivery(id, t0 + 10), true);
        const info = await store.getDelivery(id);
        assert.deepEqual([info?.status, info?.attempts, info?.dueAt], ["queued", 0, t0 + 10]);
        assert.deepEqual(await store.listDeadLetters(ep, 10), []);
        assert.equal((await store.listAttempts(id)).length, 1);
        const [again] = await claimAll(store, t0 + 10);
        assert.deepEqual([again?.deliveryId, again?.attempt], [id, 1]);
      }));

    it("replays every dead letter of an endpoint", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const ids = [
          await enqueueKeyed(store, ep, undefined, t0),
          await enqueueKeyed(store, ep, undefined, t0 + 1),
          await enqueueKeyed(store, ep, undefined, t0 + 2),
        ];
        await claimAll(store, t0 + 3);
        for (const id of ids) await settle(store, id, "dead", t0 + 4);
        assert.equal((await store.listDeadLetters(ep, 10)).length, 3);
        assert.equal((await store.listDeadLetters(ep, 2)).length, 2);
        assert.equal(await store.replayDeadLetters(ep, t0 + 5), 3);
        assert.deepEqual(await store.listDeadLetters(ep, 10), []);
        const claimed = await claimAll(store, t0 + 5);
        assert.deepEqual(sortedIds(claimed), [...ids].sort());
        assert.ok(claimed.every((delivery) => delivery.attempt === 1));
      }));

    it("replays deliveries created since a time that are neither queued nor leased", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const old = await enqueueKeyed(store, ep, undefined, t0);
        const dead = await enqueueKeyed(store, ep, undefined, t0 + 10);
        const delivered = await enqueueKeyed(store, ep, undefined, t0 + 20);
        await claimAll(store, t0 + 21);
        await settle(store, old, "delivered", t0 + 22);
        await settle(store, dead, "dead", t0 + 22);
        await settle(store, delivered, "delivered", t0 + 22);
        const queued = await enqueueKeyed(store, ep, undefined, t0 + 30);
        assert.equal(await store.replaySince(ep, t0 + 5, t0 + 100), 2);
        assert.equal((await store.getDelivery(old))?.status, "delivered");
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 100)), [dead, delivered, queued].sort());
      }));
  });

  describe("11. retention", () => {
    it("lets a delivered delivery vanish after retentionMs and keeps dead letters longer", () =>
      withStore(
        async (store) => {
          const ep = uniqueId("ep");
          await store.syncEndpoints([testEndpoint(ep)]);
          const delivered = await enqueueKeyed(store, ep, undefined, t0);
          const dead = await enqueueKeyed(store, ep, undefined, t0);
          await claimAll(store, t0);
          await settle(store, delivered, "delivered", t0 + 1);
          await settle(store, dead, "dead", t0 + 1);
          assert.equal((await store.getDelivery(delivered))?.status, "delivered");
          let now = t0 + 1;
          await eventually("the delivered delivery to expire", async () => {
            now += 1000;
            await store.claim({ workerId: "w1", max: 1, leaseMs: 1000, now });
            return (await store.getDelivery(delivered)) === undefined;
          });
          assert.deepEqual(await store.listAttempts(delivered), []);
          assert.equal((await store.getDelivery(dead))?.status, "dead");
          assert.equal((await store.listDeadLetters(ep, 10)).length, 1);
        },
        { retentionMs: 100, deadLetterRetentionMs: 24 * 60 * 60 * 1000 },
      ));

    it("lets dead letters vanish after deadLetterRetentionMs", () =>
      withStore(
        async (store) => {
          const ep = uniqueId("ep");
          await store.syncEndpoints([testEndpoint(ep)]);
          const dead = await enqueueKeyed(store, ep, undefined, t0);
          await claimAll(store, t0);
          await settle(store, dead, "dead", t0 + 1);
          let now = t0 + 1;
          await eventually("the dead letter to expire", async () => {
            now += 1000;
            await store.claim({ workerId: "w1", max: 1, leaseMs: 1000, now });
            return (await store.getDelivery(dead)) === undefined;
          });
          assert.deepEqual(await store.listDeadLetters(ep, 10), []);
          assert.equal((await store.getEndpointState(ep, now)).dead, 0);
        },
        { deadLetterRetentionMs: 100 },
      ));

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
    it("wakes listeners on enqueue, replay and enable, and stops after unsubscribe", () =>
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
        await claimAll(store, t0);
        await settle(store, id, "dead", t0 + 1);
        await store.replayDelivery(id, t0 + 2);
        await expectWake("replay");
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
  });
}
