import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerStore } from "../store.js";
import { attemptAt, claimAll, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

/**
 * Semantics 2 (fencing): every lease has its own fencing token; a result or an extension carrying an older
 * token — the lease expired and the delivery was leased again, even by the same worker — is stale: not applied,
 * reported, its attempt record kept in the live delivery's log marked `stale`.
 */
export function describeFencingCases(withStore: WithStore, t0: number): void {
  describe("2. lease fencing tokens", () => {
    it("fences off the result of an expired lease re-leased to the same worker, and keeps its attempt", () =>
      withStore(async (store) => {
        const id = await queueOne(store, t0);
        const [first] = await claimAll(store, t0, { workerId: "w1", leaseMs: 1000 });
        const [second] = await claimAll(store, t0 + 1000, { workerId: "w1", leaseMs: 1000 });
        assert.ok(first && second, "leased twice");
        assert.notEqual(first.leaseToken, second.leaseToken, "one token per lease");
        const late = await store.complete(
          "w1",
          [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0 + 1001, 500), dueAt: t0 + 1001, ...token(first) }],
          t0 + 1001,
        );
        assert.deepEqual(late, { applied: 0, stale: [id] });
        const info = await store.getDelivery(id);
        assert.deepEqual([info?.status, info?.attempts], ["leased", 2], "the current lease is untouched");
        assert.deepEqual(
          (await store.listAttempts(id)).map((a) => [a.status, a.stale]),
          [[500, true]],
        );
        const current = await store.complete(
          "w1",
          [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 1002, 200), ...token(second) }],
          t0 + 1002,
        );
        assert.deepEqual(current, { applied: 1, stale: [] });
        const [record] = await takeAllSettled(store, t0 + 1003);
        assert.deepEqual(
          [record?.status, record?.attemptLog.map((a) => [a.status, a.stale ?? false])],
          [
            "delivered",
            [
              [500, true],
              [200, false],
            ],
          ],
        );
      }));

    it("reports results for settled or unknown deliveries as stale", () =>
      withStore(async (store) => {
        const id = await queueOne(store, t0);
        const [claimed] = await claimAll(store, t0);
        const result = { deliveryId: id, kind: "delivered" as const, attempt: attemptAt(t0, 200), ...token(claimed) };
        assert.deepEqual(await store.complete("w1", [result], t0 + 1), { applied: 1, stale: [] });
        assert.deepEqual(await store.complete("w1", [result], t0 + 2), { applied: 0, stale: [id] });
        const unknown = uniqueId("dlv");
        assert.deepEqual(await store.complete("w1", [{ ...result, deliveryId: unknown }], t0 + 3), {
          applied: 0,
          stale: [unknown],
        });
      }));

    it("applies a result repeated in one batch once and reports the repeat as stale", () =>
      withStore(async (store) => {
        const id = await queueOne(store, t0);
        const [claimed] = await claimAll(store, t0);
        const result = { deliveryId: id, kind: "delivered" as const, attempt: attemptAt(t0, 200), ...token(claimed) };
        assert.deepEqual(await store.complete("w1", [result, result], t0 + 1), { applied: 1, stale: [id] });
        const records = await takeAllSettled(store, t0 + 2);
        assert.deepEqual(
          records.map((record) => [record.deliveryId, record.status]),
          [[id, "delivered"]],
          "one record",
        );
        assert.equal(await store.getDelivery(id), undefined, "the delivery left the store");
      }));

    it("extends only the lease whose token it carries", () =>
      withStore(async (store) => {
        const id = await queueOne(store, t0);
        const [first] = await claimAll(store, t0, { workerId: "w1", leaseMs: 1000 });
        const [second] = await claimAll(store, t0 + 1000, { workerId: "w1", leaseMs: 1000 });
        assert.ok(first && second);
        await store.extendLeases("w1", [{ deliveryId: id, leaseToken: first.leaseToken }], 60_000, t0 + 1500);
        assert.equal((await claimAll(store, t0 + 2000, { workerId: "w2", leaseMs: 1000 })).length, 1, "not extended");
        const [third] = await claimAll(store, t0 + 3000, { workerId: "w1", leaseMs: 1000 });
        assert.ok(third);
        await store.extendLeases("w1", [{ deliveryId: id, leaseToken: third.leaseToken }], 60_000, t0 + 3500);
        assert.deepEqual(await claimAll(store, t0 + 10_000, { workerId: "w2" }), [], "extended");
      }));
  });
}

/** One endpoint with one delivery queued at `now`; returns the delivery id. */
async function queueOne(store: SchedulerStore, now: number): Promise<string> {
  const ep = uniqueId("ep");
  await store.syncEndpoints([testEndpoint(ep)]);
  const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now });
  return deliveryIds[0] ?? "";
}

function token(claimed: { readonly leaseToken: string } | undefined): { leaseToken: string } {
  assert.ok(claimed, "a claimed delivery");
  return { leaseToken: claimed.leaseToken };
}
