import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import {
  attemptAt,
  claimAll,
  eventually,
  sortedIds,
  takeAllSettled,
  testEndpoint,
  testEnvelope,
  uniqueId,
} from "./fixtures.js";
import type { WithStore } from "./harness.js";

function isUnknownEndpoint(error: unknown): boolean {
  return error instanceof HookyardError && error.code === "ENDPOINT_UNKNOWN";
}

/** Semantics 1–5: enqueue, fair claim, concurrency cap, rate limit, attempt counting. */
export function describeQueueingCases(withStore: WithStore, t0: number): void {
  describe("1. enqueue", () => {
    it("stores the envelope once and queues one delivery per endpoint, due now", () =>
      withStore(async (store) => {
        const [a, b] = [uniqueId("ep-a"), uniqueId("ep-b")];
        await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
        const envelope = testEnvelope("k1");
        const result = await store.enqueue({ envelope, endpointIds: [a, b], now: t0 });
        assert.equal(result.duplicate, false);
        assert.equal(result.deliveryIds.length, 2);
        assert.notEqual(result.deliveryIds[0], result.deliveryIds[1]);
        for (const [index, endpointId] of [a, b].entries()) {
          const info = await store.getDelivery(result.deliveryIds[index] ?? "");
          assert.ok(info, "delivery stored");
          assert.equal(info.messageId, result.messageId);
          assert.equal(info.endpointId, endpointId);
          assert.equal(info.status, "queued");
          assert.equal(info.attempts, 0);
          assert.equal(info.createdAt, t0);
          assert.equal(info.dueAt, t0);
        }
        const claimed = await claimAll(store, t0);
        assert.equal(claimed.length, 2);
        for (const delivery of claimed) {
          assert.equal(delivery.attempt, 1);
          assert.equal(delivery.createdAt, t0);
          assert.equal(delivery.envelope.id, envelope.id);
          assert.deepEqual([...delivery.envelope.data], [...envelope.data]);
          assert.equal(delivery.envelope.key, "k1");
          assert.equal(delivery.envelope.headers["x-test"], "yes");
        }
      }));

    it("gives unique, time-sortable delivery ids", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const result = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 + i * 1000 });
          ids.push(...result.deliveryIds);
        }
        assert.equal(new Set(ids).size, ids.length);
        assert.deepEqual([...ids].sort(), ids);
      }));

    it("fails the whole call with ENDPOINT_UNKNOWN for an unknown endpoint, queueing nothing", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        await assert.rejects(
          store.enqueue({ envelope: testEnvelope(), endpointIds: [ep, uniqueId("missing")], now: t0 }),
          isUnknownEndpoint,
        );
        assert.deepEqual(await claimAll(store, t0), []);
        await assert.rejects(store.getEndpointState(uniqueId("missing"), t0), isUnknownEndpoint);
        await assert.rejects(store.setEndpointEnabled(uniqueId("missing"), true, t0), isUnknownEndpoint);
      }));

    it("queues for a disabled endpoint and parks the delivery until it is enabled", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        await store.setEndpointEnabled(ep, false, t0);
        const state = await store.getEndpointState(ep, t0);
        assert.equal(state.enabled, false);
        assert.equal(state.disabledReason, "disabled by operator");
        const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        assert.deepEqual(await claimAll(store, t0 + 10), []);
        assert.equal((await store.getDelivery(deliveryIds[0] ?? ""))?.status, "queued");
        await store.setEndpointEnabled(ep, true, t0 + 20);
        const claimed = await claimAll(store, t0 + 20);
        assert.deepEqual(
          claimed.map((d) => [d.deliveryId, d.attempt]),
          [[deliveryIds[0], 1]],
        );
      }));

    it("never claims an endpoint disabled in config, and keeps runtime state across syncs", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, {}, false)]);
        await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        assert.deepEqual(await claimAll(store, t0), []);
        const state = await store.getEndpointState(ep, t0);
        assert.equal(state.enabled, false);
        assert.equal(state.disabledReason, "disabled in config");
        assert.equal(state.queued, 1);
        await store.syncEndpoints([testEndpoint(ep, {}, true)]);
        assert.equal((await claimAll(store, t0 + 1)).length, 1);
      }));

    it("de-duplicates by dedupKey within dedupTtlMs and returns the first result", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const dedupKey = uniqueId("kafka:orders:0:42");
        const first = await store.enqueue({
          envelope: testEnvelope(),
          endpointIds: [ep],
          now: t0,
          dedupKey,
          dedupTtlMs: 200,
        });
        const second = await store.enqueue({
          envelope: testEnvelope(),
          endpointIds: [ep],
          now: t0 + 1,
          dedupKey,
          dedupTtlMs: 200,
        });
        assert.equal(first.duplicate, false);
        assert.equal(second.duplicate, true);
        assert.equal(second.messageId, first.messageId);
        assert.deepEqual(second.deliveryIds, first.deliveryIds);
        assert.equal((await claimAll(store, t0 + 2)).length, 1);
        // After the TTL (store time or the Redis clock, whichever the store uses) the key is new again.
        let step = 0;
        await eventually("the dedup key to expire", async () => {
          step += 1;
          const later = await store.enqueue({
            envelope: testEnvelope(),
            endpointIds: [ep],
            now: t0 + 1000 * step,
            dedupKey,
            dedupTtlMs: 200,
          });
          return !later.duplicate;
        });
      }));

    it("overwrites a dedup record expired on the store clock: the message is new, and later ones its duplicates", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const dedupKey = uniqueId("kafka:orders:0:43");
        // A TTL long on the server's clock, so the record is still there (Redis has not expired it) when the
        // store clock says it has.
        const enqueue = (now: number) =>
          store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now, dedupKey, dedupTtlMs: 60_000 });
        const first = await enqueue(t0);
        const second = await enqueue(t0 + 60_000);
        assert.equal(second.duplicate, false);
        assert.notEqual(second.messageId, first.messageId);
        const third = await enqueue(t0 + 60_001);
        assert.equal(third.duplicate, true);
        assert.equal(third.messageId, second.messageId);
        assert.deepEqual(third.deliveryIds, second.deliveryIds);
        assert.deepEqual(
          sortedIds(await claimAll(store, t0 + 60_002)),
          [...first.deliveryIds, ...second.deliveryIds].sort(),
        );
      }));

    it("keeps no dedup record for a message refused for an unknown endpoint: its retry is not a duplicate", () =>
      withStore(async (store) => {
        const [ep, late] = [uniqueId("ep"), uniqueId("ep-late")];
        await store.syncEndpoints([testEndpoint(ep)]);
        const dedupKey = uniqueId("kafka:orders:0:44");
        const enqueue = (now: number) =>
          store.enqueue({ envelope: testEnvelope(), endpointIds: [ep, late], now, dedupKey, dedupTtlMs: 60_000 });
        await assert.rejects(enqueue(t0), isUnknownEndpoint);
        await store.syncEndpoints([testEndpoint(late)]);
        const retried = await enqueue(t0 + 1);
        assert.equal(retried.duplicate, false);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 2)), [...retried.deliveryIds].sort());
      }));
  });

  describe("2. fair claim and lease expiry", () => {
    it("gives each due endpoint at most floor(max / dueEndpoints), min 1", () =>
      withStore(async (store) => {
        const [big, small] = [uniqueId("ep-big"), uniqueId("ep-small")];
        await store.syncEndpoints([testEndpoint(big, { concurrency: 100 }), testEndpoint(small)]);
        for (let i = 0; i < 20; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [big], now: t0 });
        for (let i = 0; i < 2; i++)
          await store.enqueue({ envelope: testEnvelope(), endpointIds: [small], now: t0 + 1 });
        const first = await claimAll(store, t0 + 2, { max: 5 });
        assert.equal(first.filter((d) => d.endpointId === big).length, 2);
        assert.equal(first.filter((d) => d.endpointId === small).length, 2);
        const second = await claimAll(store, t0 + 3, { max: 4 });
        assert.equal(second.filter((d) => d.endpointId === big).length, 4);
        const alone = await claimAll(store, t0 + 4, { max: 1 });
        assert.equal(alone.length, 1, "min 1");
      }));

    it("takes at most the worker's room per endpoint; room 0 skips it for other workers and for nextDueAt", () =>
      withStore(async (store) => {
        const [full, open, other] = [uniqueId("ep-full"), uniqueId("ep-open"), uniqueId("ep-other")];
        await store.syncEndpoints([testEndpoint(full), testEndpoint(open), testEndpoint(other)]);
        for (const ep of [full, open, other]) {
          for (let i = 0; i < 5; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        }
        const result = await store.claim({
          workerId: "w1",
          max: 100,
          leaseMs: 60_000,
          now: t0 + 1,
          rooms: new Map([
            [full, 0],
            [open, 2],
          ]),
          endpointRoom: 3,
        });
        const count = (ep: string) => result.deliveries.filter((d) => d.endpointId === ep).length;
        assert.deepEqual([count(full), count(open), count(other)], [0, 2, 3]);
        // open and other still have due work; full is ignored by this worker's nextDueAt.
        assert.ok(result.nextDueAt !== undefined && result.nextDueAt <= t0 + 1);
        const onlyFull = await store.claim({
          workerId: "w1",
          max: 100,
          leaseMs: 60_000,
          now: t0 + 2,
          rooms: new Map([
            [full, 0],
            [open, 0],
            [other, 0],
          ]),
        });
        assert.deepEqual([onlyFull.deliveries.length, onlyFull.nextDueAt], [0, undefined]);
        // Another worker with room takes what this one left.
        assert.equal(
          (await claimAll(store, t0 + 3, { workerId: "w2" })).filter((d) => d.endpointId === full).length,
          5,
        );
      }));

    it("re-scores an endpoint that still has due work so the others go first", () =>
      withStore(async (store) => {
        const [a, b] = [uniqueId("ep-a"), uniqueId("ep-b")];
        await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
        for (let i = 0; i < 5; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [a], now: t0 });
        for (let i = 0; i < 5; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [b], now: t0 + 1 });
        const order: string[] = [];
        for (let step = 0; step < 4; step++) {
          const claimed = await claimAll(store, t0 + 10 + step, { max: 1 });
          assert.equal(claimed.length, 1);
          order.push(claimed[0]?.endpointId === a ? "a" : "b");
        }
        assert.deepEqual(order, ["a", "b", "a", "b"]);
      }));

    it("returns expired leases to their queue, due now, and ignores the old worker's result", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        const id = deliveryIds[0] ?? "";
        assert.equal((await claimAll(store, t0, { workerId: "w1", leaseMs: 1000 })).length, 1);
        assert.deepEqual(await claimAll(store, t0 + 999, { workerId: "w2" }), []);
        const again = await claimAll(store, t0 + 1000, { workerId: "w2", leaseMs: 1000 });
        assert.deepEqual(
          again.map((d) => [d.deliveryId, d.attempt]),
          [[id, 2]],
        );
        const late = await store.complete(
          "w1",
          [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 1001, 200) }],
          t0 + 1001,
        );
        assert.deepEqual(late, { applied: 0, stale: [id] });
        assert.equal((await store.getDelivery(id))?.status, "leased");
        await store.complete(
          "w2",
          [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 1002, 200) }],
          t0 + 1002,
        );
        assert.equal(await store.getDelivery(id), undefined);
        const records = await takeAllSettled(store, t0 + 1003);
        assert.deepEqual(
          records.map((r) => [r.deliveryId, r.status, r.attempts, r.attemptLog.map((a) => a.stale ?? false)]),
          [[id, "delivered", 2, [true, false]]],
          "the first lease's late result was not applied (its attempt kept, marked); the second settled it once",
        );
      }));

    it("extends leases still being worked on", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        await claimAll(store, t0, { workerId: "w1", leaseMs: 1000 });
        await store.extendLeases("w2", deliveryIds, 60_000, t0 + 500); // not w2's lease: ignored
        await store.extendLeases("w1", deliveryIds, 1000, t0 + 900);
        assert.deepEqual(await claimAll(store, t0 + 1500, { workerId: "w2" }), []);
        assert.equal((await claimAll(store, t0 + 1900, { workerId: "w2" })).length, 1);
      }));

    it("reports nextDueAt: the earliest eligible time, absent when nothing is queued", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const empty = await store.claim({ workerId: "w1", max: 10, leaseMs: 1000, now: t0 });
        assert.equal(empty.nextDueAt, undefined);
        const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        await claimAll(store, t0);
        const id = deliveryIds[0] ?? "";
        await store.complete("w1", [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0), dueAt: t0 + 5000 }], t0);
        const idle = await store.claim({ workerId: "w1", max: 10, leaseMs: 1000, now: t0 + 1 });
        assert.deepEqual(idle.deliveries, []);
        assert.equal(idle.nextDueAt, t0 + 5000);
        assert.equal((await store.getDelivery(id))?.dueAt, t0 + 5000);
      }));
  });

  describe("3. concurrency cap", () => {
    it("never leases more than policy.concurrency per endpoint, across workers", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 2 })]);
        for (let i = 0; i < 5; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        const first = await claimAll(store, t0, { workerId: "w1" });
        assert.equal(first.length, 2);
        assert.deepEqual(await claimAll(store, t0 + 1, { workerId: "w2" }), []);
        assert.equal((await store.getEndpointState(ep, t0 + 1)).inFlight, 2);
        await store.complete(
          "w1",
          [{ deliveryId: first[0]?.deliveryId ?? "", kind: "delivered", attempt: attemptAt(t0 + 2, 200) }],
          t0 + 2,
        );
        assert.equal((await claimAll(store, t0 + 3, { workerId: "w2" })).length, 1);
      }));

    it("applies a policy change from syncEndpoints", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 1 })]);
        for (let i = 0; i < 4; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        assert.equal((await claimAll(store, t0)).length, 1);
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 3 })]);
        assert.equal((await claimAll(store, t0 + 1)).length, 2);
        assert.equal((await store.getEndpointState(ep, t0 + 1)).queued, 1);
      }));
  });

  describe("4. rate limit (GCRA)", () => {
    it("leases within the burst, then one per emission interval, and reports TAT - tau", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        // T = 100 ms, tau = 100 ms.
        await store.syncEndpoints([testEndpoint(ep, { rateLimit: { perSecond: 10, burst: 2 } })]);
        for (let i = 0; i < 7; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        assert.equal((await claimAll(store, t0)).length, 2);
        const limited = await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 50 });
        assert.deepEqual(limited.deliveries, []);
        assert.equal(limited.nextDueAt, t0 + 100);
        assert.equal((await claimAll(store, t0 + 100)).length, 1);
        assert.deepEqual(await claimAll(store, t0 + 199), []);
        assert.equal((await claimAll(store, t0 + 200)).length, 1);
        // After a quiet period the burst is available again.
        assert.equal((await claimAll(store, t0 + 10_000)).length, 2);
      }));
  });

  describe("5. attempts", () => {
    it("counts claims, including this one; a release is not counted", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: t0 });
        const id = deliveryIds[0] ?? "";
        const seen: number[] = [];
        let now = t0;
        for (let i = 0; i < 3; i++) {
          const [claimed] = await claimAll(store, now);
          seen.push(claimed?.attempt ?? 0);
          await store.complete(
            "w1",
            [{ deliveryId: id, kind: "retry", attempt: attemptAt(now), dueAt: now + 10 }],
            now,
          );
          now += 10;
        }
        const [fourth] = await claimAll(store, now);
        seen.push(fourth?.attempt ?? 0);
        await store.complete("w1", [{ deliveryId: id, kind: "release", dueAt: now }], now);
        assert.equal((await store.getDelivery(id))?.attempts, 3);
        const [fifth] = await claimAll(store, now);
        seen.push(fifth?.attempt ?? 0);
        assert.deepEqual(seen, [1, 2, 3, 4, 4]);
        assert.equal((await store.listAttempts(id)).length, 3);
      }));
  });
}
