import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Envelope } from "@hookyard/core";
import type { RequeueRequest, SchedulerStore, SettledRecord } from "../store.js";
import { attemptAt, claimAll, sortedIds, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

async function enqueueOne(store: SchedulerStore, ep: string, envelope: Envelope, now: number): Promise<string> {
  return (await store.enqueue({ envelope, endpointIds: [ep], now })).deliveryIds[0] ?? "";
}

async function settleAll(
  store: SchedulerStore,
  ids: readonly string[],
  kind: "delivered" | "dead",
  now: number,
): Promise<void> {
  const attempt = attemptAt(now, kind === "delivered" ? 200 : 500);
  await store.complete(
    "w1",
    ids.map((deliveryId) =>
      kind === "delivered"
        ? { deliveryId, kind, attempt }
        : { deliveryId, kind, attempt, reason: "retries exhausted after 1 attempts" },
    ),
    now,
  );
}

function requeueOf(record: SettledRecord): RequeueRequest {
  assert.ok(record.envelope, "the record carries its envelope");
  return {
    deliveryId: record.deliveryId,
    messageId: record.messageId,
    endpointId: record.endpointId,
    createdAt: record.createdAt,
    envelope: record.envelope,
  };
}

/** Semantics 10 and 11: settled deliveries leave the store through its outbox; requeue brings them back. */
export function describeOutboxCases(withStore: WithStore, t0: number): void {
  describe("10. settling hands off, requeue brings back", () => {
    it("moves a settled delivery with its attempts and exact envelope to the outbox, once", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const envelope = testEnvelope();
        const [single, fanned] = [uniqueId("ep"), uniqueId("ep")];
        await store.syncEndpoints([testEndpoint(single), testEndpoint(fanned)]);
        const id = await enqueueOne(store, ep, envelope, t0);
        const fan = await store.enqueue({ envelope: testEnvelope(), endpointIds: [single, fanned], now: t0 });
        await claimAll(store, t0 + 1);
        await settleAll(store, [id, ...fan.deliveryIds], "delivered", t0 + 2);
        assert.deepEqual(
          await takeAllSettled(store, t0 + 3).then((r) => r.map((x) => x.deliveryId).sort()),
          [id, ...fan.deliveryIds].sort(),
        );
        assert.deepEqual(await takeAllSettled(store, t0 + 4), [], "acknowledged records are gone");
        assert.equal(await store.getDelivery(id), undefined);
        assert.equal((await store.outboxStats()).records, 0);
      }));

    it("hands off the record's fields: ids, status, attempts, times, envelope bytes", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const envelope = testEnvelope();
        const id = await enqueueOne(store, ep, envelope, t0);
        const [claimed] = await claimAll(store, t0 + 1);
        await settleAll(store, [id], "dead", t0 + 2);
        const [record] = await takeAllSettled(store, t0 + 3);
        assert.ok(record);
        assert.equal(record.deliveryId, id);
        assert.equal(record.endpointId, ep);
        assert.equal(record.messageId.length > 0, true);
        assert.deepEqual(
          [record.status, record.deadReason, record.attempts, record.createdAt, record.settledAt],
          ["dead", "retries exhausted after 1 attempts", 1, t0, t0 + 2],
        );
        assert.deepEqual(
          record.attemptLog.map((a) => a.status),
          [500],
        );
        assert.equal(record.envelope?.id, envelope.id);
        assert.deepEqual(record.envelope?.data, envelope.data);
        assert.deepEqual(record.envelope, claimed?.envelope);
      }));

    it("requeues a settled delivery with its identity, due now, attempts reset; leaves live ones alone", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const id = await enqueueOne(store, ep, testEnvelope(), t0);
        const [claimed] = await claimAll(store, t0 + 1);
        const live: RequeueRequest = {
          deliveryId: id,
          messageId: "m",
          endpointId: ep,
          createdAt: t0,
          envelope: claimed?.envelope ?? testEnvelope(),
        };
        assert.deepEqual(await store.requeue([live], t0 + 1), [], "a leased delivery is not requeued");
        await settleAll(store, [id], "dead", t0 + 2);
        const [record] = await takeAllSettled(store, t0 + 3);
        assert.ok(record);
        assert.deepEqual(await store.requeue([requeueOf(record)], t0 + 10), [id]);
        assert.deepEqual(await store.requeue([requeueOf(record)], t0 + 10), [], "a queued delivery is not requeued");
        const info = await store.getDelivery(id);
        assert.deepEqual([info?.status, info?.attempts, info?.dueAt, info?.createdAt], ["queued", 0, t0 + 10, t0]);
        const [again] = await claimAll(store, t0 + 10);
        assert.deepEqual([again?.deliveryId, again?.attempt, again?.createdAt], [id, 1, t0]);
        assert.deepEqual(again?.envelope, claimed?.envelope);
        await settleAll(store, [id], "delivered", t0 + 11);
        const [second] = await takeAllSettled(store, t0 + 12);
        assert.deepEqual([second?.deliveryId, second?.status, second?.settledAt], [id, "delivered", t0 + 11]);
      }));

    it("finds a settle while it waits in the outbox, the newest one after a replay, and forgets it on ack", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const id = await enqueueOne(store, ep, testEnvelope(), t0);
        assert.equal(await store.findSettled(id), undefined, "a queued delivery has not settled");
        await claimAll(store, t0 + 1);
        await settleAll(store, [id], "dead", t0 + 2);
        const waiting = await store.findSettled(id);
        assert.deepEqual([waiting?.status, waiting?.settledAt, waiting?.attemptLog.length], ["dead", t0 + 2, 1]);
        // Replayed and settled again before the first record was handed off: the newest settle is found, and
        // acknowledging the older record does not hide the newer one.
        assert.ok(waiting);
        assert.deepEqual(await store.requeue([requeueOf(waiting)], t0 + 3), [id]);
        await claimAll(store, t0 + 3);
        await settleAll(store, [id], "delivered", t0 + 4);
        const entries = await store.takeSettled({ consumer: "c", max: 10, reclaimAfterMs: 3_600_000, now: t0 + 5 });
        assert.deepEqual(
          entries.map((entry) => entry.record.status),
          ["dead", "delivered"],
        );
        await store.ackSettled(entries.slice(0, 1));
        assert.deepEqual(
          [(await store.findSettled(id))?.status, (await store.findSettled(id))?.settledAt],
          ["delivered", t0 + 4],
        );
        await store.ackSettled(entries.slice(1));
        assert.equal(await store.findSettled(id), undefined, "handed off: the history has it");
      }));

    it("requeues under per-key order at the end of the key's line, and skips unknown endpoints", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { orderedByKey: true })]);
        const first = await enqueueOne(store, ep, testEnvelope("k"), t0);
        await claimAll(store, t0);
        await settleAll(store, [first], "dead", t0 + 1);
        const [record] = await takeAllSettled(store, t0 + 1);
        assert.ok(record);
        const waiting = await enqueueOne(store, ep, testEnvelope("k"), t0 + 2);
        const [head] = await claimAll(store, t0 + 2);
        assert.equal(head?.deliveryId, waiting);
        assert.deepEqual(await store.requeue([requeueOf(record)], t0 + 3), [first]);
        assert.deepEqual(await claimAll(store, t0 + 3), [], "the requeued one waits behind the leased head");
        await settleAll(store, [waiting], "delivered", t0 + 4);
        assert.deepEqual(sortedIds(await claimAll(store, t0 + 4)), [first]);
        const stranger = { ...requeueOf(record), deliveryId: uniqueId("d"), endpointId: uniqueId("gone") };
        assert.deepEqual(await store.requeue([stranger], t0 + 5), []);
      }));
  });

  describe("11. the outbox: at least once, bounded, dead letters kept", () => {
    it("hands a record taken but never acknowledged to another consumer", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const id = await enqueueOne(store, ep, testEnvelope(), t0);
        await claimAll(store, t0);
        await settleAll(store, [id], "delivered", t0 + 1);
        const take = (consumer: string, reclaimAfterMs: number) =>
          store.takeSettled({ consumer, max: 10, reclaimAfterMs, now: t0 + 2 });
        const [taken] = await take("c1", 3_600_000);
        assert.equal(taken?.record.deliveryId, id);
        assert.deepEqual(await take("c2", 3_600_000), [], "held by c1");
        const [again] = await take("c2", 0);
        assert.equal(again?.record.deliveryId, id, "taken over once held longer than reclaimAfterMs");
        await store.ackSettled([again]);
        await store.ackSettled([taken]); // the late acknowledgement of c1 changes nothing
        assert.deepEqual(await take("c3", 0), []);
        assert.equal((await store.outboxStats()).records, 0);
      }));

    it("sheds delivered records past outboxMaxRecords, counted, and never a dead letter", () =>
      withStore(
        async (store) => {
          const ep = uniqueId("ep");
          await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
          const ids: string[] = [];
          for (let i = 0; i < 6; i++) ids.push(await enqueueOne(store, ep, testEnvelope(), t0));
          await claimAll(store, t0);
          await settleAll(store, ids.slice(0, 3), "delivered", t0 + 1);
          await settleAll(store, ids.slice(3), "dead", t0 + 2);
          assert.deepEqual(await store.outboxStats(t0 + 2), { records: 5, shed: 1, oldestAgeMs: 1 });
          assert.equal((await store.getEndpointState(ep, t0 + 2)).dead, 3);
          const records = await takeAllSettled(store, t0 + 3);
          assert.deepEqual(
            records.map((r) => r.status),
            ["delivered", "delivered", "dead", "dead", "dead"],
          );
          assert.deepEqual((await store.stats()).outbox, { records: 0, shed: 1, oldestAgeMs: 0 });
        },
        { outboxMaxRecords: 2 },
      ));

    it("ages the outbox by its oldest waiting record, taken or not, from its settle time; 0 when empty", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 10 })]);
        assert.equal((await store.outboxStats(t0)).oldestAgeMs, 0, "nothing waits");
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push(await enqueueOne(store, ep, testEnvelope(), t0));
        await claimAll(store, t0);
        await settleAll(store, ids.slice(0, 1), "delivered", t0);
        await settleAll(store, ids.slice(1), "dead", t0 + 3000);
        assert.deepEqual(await store.outboxStats(t0 + 5000), { records: 3, shed: 0, oldestAgeMs: 5000 });
        assert.equal((await store.outboxStats(t0 - 1)).oldestAgeMs, 0, "never negative");
        // Taken, not acknowledged: still waiting, still the oldest.
        const [first, ...rest] = await store.takeSettled({ consumer: "c", max: 1, reclaimAfterMs: 3_600_000, now: t0 });
        assert.equal(first?.record.deliveryId, ids[0]);
        assert.equal((await store.outboxStats(t0 + 5000)).oldestAgeMs, 5000);
        assert.deepEqual(rest, []);
        await store.ackSettled(first ? [first] : []);
        assert.equal((await store.outboxStats(t0 + 5000)).oldestAgeMs, 2000, "the next oldest settled at t0 + 3000");
        await takeAllSettled(store, t0 + 5000);
        assert.deepEqual(await store.outboxStats(t0 + 5000), { records: 0, shed: 0, oldestAgeMs: 0 });
      }));

    it("reports the outbox's age in stats() too, at the store's own clock", () =>
      withStore(async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        assert.equal((await store.stats()).outbox.oldestAgeMs, 0, "nothing waits");
        const id = await enqueueOne(store, ep, testEnvelope(), t0);
        await claimAll(store, t0);
        await settleAll(store, [id], "delivered", t0);
        // stats() takes no `now`: the age is at the store's clock (the embedded store's latest `now`, Redis time,
        // which is not the test's), so it is checked against outboxStats at the time it implies. The exact figure
        // on each clock is the stores' own tests'.
        const { outbox } = await store.stats();
        assert.equal(typeof outbox.oldestAgeMs, "number");
        assert.deepEqual(await store.outboxStats(t0 + outbox.oldestAgeMs), outbox);
      }));
  });
}
