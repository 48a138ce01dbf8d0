import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeEnvelope } from "@hookyard/core";
import { usePrivateRedis } from "@hookyard/test-brokers";
import type { SettledEntry } from "../store.js";
import { attemptAt, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore } from "./redis-store.js";

type Store = ReturnType<typeof createRedisStore>;

describe("redis store: the outbox's batched entries, and the legacy outbox", () => {
  const own = usePrivateRedis();

  async function withStore(body: (store: Store, ep: string) => Promise<void>): Promise<void> {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueId("outbox") });
    try {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
      await body(store, ep);
    } finally {
      await store.close();
    }
  }

  /** Enqueues `count` events for `ep` and leases them all to worker "w"; their delivery ids, in lease order. */
  async function leased(store: Store, ep: string, count: number): Promise<string[]> {
    for (let i = 0; i < count; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 });
    const { deliveries } = await store.claim({ workerId: "w", max: count, leaseMs: 60_000, now: 1 });
    assert.equal(deliveries.length, count);
    return deliveries.map((delivery) => delivery.deliveryId);
  }

  const entryIds = (entries: readonly SettledEntry[]) => [...new Set(entries.map((entry) => entry.entryId))];

  it("keeps a call's delivered records in entries of up to 16, a dead letter alone; takes never split one", () =>
    withStore(async (store, ep) => {
      const ids = await leased(store, ep, 21);
      const [dead, ...delivered] = ids as [string, ...string[]];
      await store.complete(
        "w",
        [
          { deliveryId: dead, kind: "dead", attempt: attemptAt(2, 500), reason: "retries exhausted after 1 attempts" },
          ...delivered.map((deliveryId) => ({ deliveryId, kind: "delivered" as const, attempt: attemptAt(2, 200) })),
        ],
        2,
      );
      assert.equal(await own.admin.xlen(store.keys.outbox), 3, "the dead letter, then 16 and 4 delivered records");
      assert.deepEqual(await store.outboxStats(2), { records: 21, shed: 0, oldestAgeMs: 0 });
      const inBatch = await store.findSettled(delivered[17] ?? "");
      assert.deepEqual([inBatch?.deliveryId, inBatch?.status], [delivered[17], "delivered"], "found inside a batch");

      const take = () => store.takeSettled({ consumer: "c", max: 1, reclaimAfterMs: 3_600_000, now: 3 });
      const first = await take();
      assert.deepEqual(
        first.map((entry) => [entry.record.deliveryId, entry.record.status]),
        [[dead, "dead"]],
      );
      const second = await take();
      assert.equal(second.length, 16, "a whole entry, though one record was asked for");
      assert.equal(entryIds(second).length, 1);
      assert.deepEqual(
        second.map((entry) => entry.record.deliveryId),
        delivered.slice(0, 16),
      );
      assert.ok(second.every((entry) => entry.record.envelope !== undefined && entry.record.attemptLog.length === 1));
      const third = await take();
      assert.deepEqual(
        third.map((entry) => entry.record.deliveryId),
        delivered.slice(16),
      );
      await store.ackSettled([...first, ...second, ...third]);
      assert.equal(await own.admin.xlen(store.keys.outbox), 0);
      assert.deepEqual(await store.outboxStats(3), { records: 0, shed: 0, oldestAgeMs: 0 });
      assert.equal((await store.getEndpointState(ep, 3)).dead, 0);
      assert.equal(await store.findSettled(delivered[17] ?? ""), undefined, "handed off");
    }));

  it("drains the legacy outbox an older version wrote, one record per entry, beside the batched one", () =>
    withStore(async (store, ep) => {
      const [id] = await leased(store, ep, 1);
      await store.complete("w", [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(9, 200) }], 9);
      // What a version before the batched outbox left: an entry per record, indexed and counted as it did, and its
      // drainers' consumer group.
      const legacy = store.keys.legacyOutbox;
      const envelope = testEnvelope();
      const env = encodeEnvelope(envelope);
      const log = JSON.stringify([attemptAt(5, 200)]);
      const delivered = await own.admin.xadd(
        legacy,
        "*",
        "h",
        `delivered|1|1|5|old-1|m-1|${ep}`,
        "env",
        env,
        "log",
        log,
      );
      const dead = await own.admin.xadd(legacy, "*", "h", `dead|2|1|6|old-2|m-2|${ep}`, "env", env, "log", "[]");
      await own.admin.hset(store.keys.outboxIds, "old-1", delivered ?? "", "old-2", dead ?? "");
      await own.admin.hincrby(store.keys.outboxCounts, `dead:${ep}`, 1);
      await own.admin.xgroup("CREATE", legacy, "history", "0");

      assert.deepEqual(await store.outboxStats(10), { records: 3, shed: 0, oldestAgeMs: 5 }, "aged by the legacy one");
      assert.equal((await store.getEndpointState(ep, 10)).dead, 1);
      const found = await store.findSettled("old-1");
      assert.deepEqual([found?.status, found?.settledAt, found?.envelope?.id], ["delivered", 5, envelope.id]);

      const taken = await store.takeSettled({ consumer: "c", max: 10, reclaimAfterMs: 3_600_000, now: 10 });
      assert.deepEqual(taken.map((entry) => entry.record.deliveryId).sort(), [id, "old-1", "old-2"].sort());
      assert.deepEqual(
        taken.filter((entry) => entry.entryId.startsWith("old:")).map((entry) => entry.record.deliveryId),
        ["old-1", "old-2"],
      );
      await store.ackSettled(taken);
      assert.deepEqual([await own.admin.xlen(legacy), await own.admin.xlen(store.keys.outbox)], [0, 0]);
      assert.deepEqual(await store.outboxStats(10), { records: 0, shed: 0, oldestAgeMs: 0 });
      assert.equal((await store.getEndpointState(ep, 10)).dead, 0, "the legacy dead letter counted out");
      assert.equal(await store.findSettled("old-1"), undefined);
      assert.deepEqual(await takeAllSettled(store, 11), []);
    }));

  it("takes a legacy outbox whose drainers never made their group (written, never drained)", () =>
    withStore(async (store, ep) => {
      const env = encodeEnvelope(testEnvelope());
      const entry = await own.admin.xadd(
        store.keys.legacyOutbox,
        "*",
        "h",
        `delivered|1|1|5|old-3|m-3|${ep}`,
        "env",
        env,
        "log",
        "[]",
      );
      await own.admin.hset(store.keys.outboxIds, "old-3", entry ?? "");
      assert.deepEqual(
        (await takeAllSettled(store, 10)).map((record) => record.deliveryId),
        ["old-3"],
      );
      assert.equal(await own.admin.xlen(store.keys.legacyOutbox), 0);
    }));
});
