import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, type Envelope, HookyardError } from "@hookyard/core";
import { usePrivateRedis } from "@hookyard/test-brokers";
import type { SchedulerEvent } from "../scheduler-events.js";
import { attemptAt, takeAllSettled, testEndpoint, uniqueId } from "../testing.js";
import { createRedisStore } from "./redis-store.js";
import { NEWEST_STORAGE_FORMAT } from "./storage-format.js";

type Store = ReturnType<typeof createRedisStore>;

// Storage format 2 (storage-format.ts): the envelopes of single-delivery messages enqueued in batches of 8 or more
// live in `{hy}:envelopes`, outside Lua, from the enqueue until their outbox record is stored.
describe("redis store: envelopes kept in {hy}:envelopes (storage format 2)", () => {
  const own = usePrivateRedis();

  /** A distinct envelope per message, its payload bytes not valid UTF-8, to prove they are kept byte-exact. */
  const envelopeOf = (i: number, type = "test.event"): Envelope =>
    createEnvelope({ id: uniqueId(`evt${i}`), source: "test", type, data: new Uint8Array([0xff, i % 256, 0x80, 7]) });

  /** Enqueues each envelope for `ep` in one script call (concurrent calls share it); their delivery ids. */
  async function enqueueBatch(store: Store, ep: string, envelopes: readonly Envelope[], now = 1): Promise<string[]> {
    const results = await Promise.all(envelopes.map((envelope) => store.enqueue({ envelope, endpointIds: [ep], now })));
    return results.map((result) => result.deliveryIds[0] ?? "");
  }

  async function withStore(
    body: (store: Store, ep: string) => Promise<void>,
    options: { outboxMaxRecords?: number; olderData?: boolean } = {},
  ): Promise<void> {
    const prefix = uniqueId("envelopes");
    // An older deployment's data: endpoints synced before this version, so no format was ever set.
    if (options.olderData) await own.admin.sadd(`{${prefix}}:endpoints`, "ep-of-an-older-version");
    const store = createRedisStore({
      redis: own.server.url,
      prefix,
      ...(options.outboxMaxRecords === undefined ? {} : { outboxMaxRecords: options.outboxMaxRecords }),
    });
    try {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
      await body(store, ep);
    } finally {
      await store.close();
    }
  }

  it("a new store writes format 2; claim, getDelivery, settle, take and findSettled see the envelopes; the ack deletes them", () =>
    withStore(async (store, ep) => {
      assert.deepEqual(await store.storageFormat(), { format: NEWEST_STORAGE_FORMAT, newest: NEWEST_STORAGE_FORMAT });
      assert.equal(
        await own.admin.get(store.keys.format),
        String(NEWEST_STORAGE_FORMAT),
        "as sync-endpoints.lua sets it",
      );
      const sent = Array.from({ length: 10 }, (_, i) => envelopeOf(i, i === 0 ? "order.failed" : "test.event"));
      const ids = await enqueueBatch(store, ep, sent);
      const [deadId, ...deliveredIds] = ids as [string, ...string[]];
      assert.equal(await own.admin.hlen(store.keys.envelopes), 10);
      assert.equal(await own.admin.hexists(store.keys.delivery(deadId), "env"), 0, "not in the delivery's hash");
      assert.equal(await own.admin.hget(store.keys.delivery(deadId), "x"), "1");
      assert.deepEqual((await store.getDelivery(deadId))?.envelope, sent[0]);

      const { deliveries } = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 2 });
      assert.deepEqual(
        deliveries.map((d) => [d.deliveryId, d.envelope]),
        ids.map((id, i) => [id, sent[i]]),
      );
      const events: SchedulerEvent[] = [];
      const stop = store.onEvent((event) => events.push(event));
      await store.complete(
        "w",
        [
          { deliveryId: deadId, kind: "dead", attempt: attemptAt(3, 500), reason: "retries exhausted" },
          ...deliveredIds.map((deliveryId) => ({ deliveryId, kind: "delivered" as const, attempt: attemptAt(3, 200) })),
        ],
        3,
      );
      stop();
      const dead = events.find((event) => event.kind === "delivery.dead");
      assert.equal(dead?.kind === "delivery.dead" ? dead.eventType : undefined, "order.failed", "read for its event");
      assert.equal(await own.admin.hlen(store.keys.envelopes), 10, "kept until their records are stored");
      assert.deepEqual((await store.findSettled(deliveredIds[4] ?? ""))?.envelope, sent[5]);

      const records = await takeAllSettled(store, 4);
      assert.deepEqual(
        records.map((r) => [r.deliveryId, r.status, r.envelope]).sort(),
        ids.map((id, i) => [id, i === 0 ? "dead" : "delivered", sent[i]]).sort(),
      );
      assert.equal(await own.admin.hlen(store.keys.envelopes), 0, "stored: deleted with their records");
    }));

  it("keeps a fan-out's envelope and a small call's inline; drops what a duplicate, an unknown endpoint or a shed record leaves", () =>
    withStore(
      async (store, ep) => {
        const other = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(other)]);
        const batch = Array.from({ length: 8 }, (_, i) => envelopeOf(i));
        const results = await Promise.all([
          ...batch.map((envelope, i) =>
            store.enqueue({ envelope, endpointIds: [ep], now: 1, dedupKey: `k${i}`, dedupTtlMs: 60_000 }),
          ),
          store.enqueue({ envelope: envelopeOf(8), endpointIds: [ep, other], now: 1 }),
        ]);
        assert.equal(await own.admin.hlen(store.keys.envelopes), 8, "the fan-out's envelope is its message's");
        const fanOut = results[8];
        assert.equal(await own.admin.hexists(store.keys.message(fanOut?.messageId ?? ""), "env"), 1);
        const lone = await store.enqueue({ envelope: envelopeOf(9), endpointIds: [ep], now: 1 });
        assert.equal(await own.admin.hexists(store.keys.delivery(lone.deliveryIds[0] ?? ""), "env"), 1, "inline");

        // The same dedup keys again: duplicates, whose envelopes written ahead go in the same call.
        const again = await Promise.all(
          batch.map((envelope, i) =>
            store.enqueue({ envelope, endpointIds: [ep], now: 2, dedupKey: `k${i}`, dedupTtlMs: 60_000 }),
          ),
        );
        assert.ok(again.every((result) => result.duplicate));
        assert.equal(await own.admin.hlen(store.keys.envelopes), 8);
        // One message of a call names an endpoint nobody synced: refused, and nothing of it stays.
        const mixed = await Promise.allSettled([
          ...Array.from({ length: 7 }, (_, i) => store.enqueue({ envelope: envelopeOf(i), endpointIds: [ep], now: 3 })),
          store.enqueue({ envelope: envelopeOf(7), endpointIds: [uniqueId("never-synced")], now: 3 }),
        ]);
        const refused = mixed.at(-1);
        assert.ok(refused?.status === "rejected" && (refused.reason as HookyardError).code === "ENDPOINT_UNKNOWN");
        assert.equal(await own.admin.hlen(store.keys.envelopes), 15);

        // outboxMaxRecords 1: the first delivered record is kept, the others are shed with their envelopes.
        const { deliveries } = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 4 });
        const external = deliveries.filter((d) => d.endpointId === ep && d.envelope.type === "test.event");
        await store.complete(
          "w",
          deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered" as const, attempt: attemptAt(5, 200) })),
          5,
        );
        assert.ok(external.length >= 15);
        const kept = await own.admin.hlen(store.keys.envelopes);
        assert.ok(kept <= 1, `only a kept record's envelope stays, not ${kept}`);
        await takeAllSettled(store, 6);
        assert.equal(await own.admin.hlen(store.keys.envelopes), 0);
      },
      { outboxMaxRecords: 1 },
    ));

  it("a store with older data stays in format 1 until upgraded; running stores follow; both kinds read alike", () =>
    withStore(
      async (store, ep) => {
        assert.deepEqual(await store.storageFormat(), { format: 1, newest: NEWEST_STORAGE_FORMAT });
        assert.equal(await own.admin.get(store.keys.format), null);
        const sent = Array.from({ length: 24 }, (_, i) => envelopeOf(i));
        const before = await enqueueBatch(store, ep, sent.slice(0, 8));
        assert.equal(await own.admin.exists(store.keys.envelopes), 0, "an older instance may be running: inline");
        assert.equal(await own.admin.hexists(store.keys.delivery(before[0] ?? ""), "env"), 1);

        assert.deepEqual(await store.upgradeStorageFormat(), { format: 2, newest: NEWEST_STORAGE_FORMAT });
        assert.deepEqual(
          await store.upgradeStorageFormat(),
          { format: 2, newest: NEWEST_STORAGE_FORMAT },
          "idempotent",
        );
        // The store learns the format from its enqueue replies: the call after the upgrade's first one moves over.
        const learning = await enqueueBatch(store, ep, sent.slice(8, 16));
        const after = await enqueueBatch(store, ep, sent.slice(16));
        assert.equal(await own.admin.hlen(store.keys.envelopes), 8);
        assert.equal(await own.admin.hexists(store.keys.envelopes, after[0] ?? ""), 1);

        const ids = [...before, ...learning, ...after];
        const { deliveries } = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 2 });
        assert.deepEqual(
          deliveries.map((d) => [d.deliveryId, d.envelope]),
          ids.map((id, i) => [id, sent[i]]),
          "inline and kept apart, in one claim",
        );
        await store.complete(
          "w",
          ids.map((deliveryId) => ({ deliveryId, kind: "delivered" as const, attempt: attemptAt(3, 200) })),
          3,
        );
        const records = await takeAllSettled(store, 4);
        assert.deepEqual(
          records.map((r) => [r.deliveryId, r.envelope]).sort(),
          ids.map((id, i) => [id, sent[i]]).sort(),
        );
        assert.equal(await own.admin.exists(store.keys.envelopes), 0);
      },
      { olderData: true },
    ));

  it("refuses a format it cannot read", async () => {
    const prefix = uniqueId("envelopes");
    await own.admin.set(`{${prefix}}:format`, "two");
    const store = createRedisStore({ redis: own.server.url, prefix });
    try {
      await assert.rejects(
        store.storageFormat(),
        (error) =>
          error instanceof HookyardError &&
          error.code === "CONFIG_INVALID" &&
          /not a storage format/.test(error.message),
      );
    } finally {
      await store.close();
    }
  });
});
