import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { requireBrokers, uniqueName, usePrivateRedis, waitFor } from "@hookyard/test-brokers";
import { Cluster, Redis } from "ioredis";
import { createManualClock } from "../clock.js";
import {
  attemptAt,
  describeStoreConformance,
  takeAllSettled,
  testEndpoint,
  testEnvelope,
  uniqueId,
} from "../testing.js";
import { createWorker } from "../worker.js";
import type { RedisClient } from "./connection.js";
import { createRedisKeys, LUA_KEY_FUNCTIONS } from "./keys.js";
import {
  createRedisStore,
  ENVELOPE_AHEAD_MIN_BYTES,
  type RedisSchedulerStore,
  type RedisStoreOptions,
} from "./redis-store.js";
import { deleteKeysMatching } from "./test-redis-keys.js";

const brokers = requireBrokers("redis", "redis-cluster");
const admin = new Redis(brokers.redisUrl);
const clusterAdmin = new Cluster(brokers.redisClusterNodes.map((node) => ({ host: node.host, port: node.port })));
after(async () => {
  await Promise.all([admin.quit(), clusterAdmin.quit()]);
});

/** Deletes every key of a store's prefix (all in one slot, so on one node; every master is scanned anyway). */
function deleteKeys(client: RedisClient, prefix: string): Promise<void> {
  return deleteKeysMatching(client, `{${prefix}}:*`);
}

function openOn(kind: "standalone" | "cluster") {
  return async (options: Partial<RedisStoreOptions> = {}) => {
    const prefix = uniqueName("hyt");
    const client = kind === "cluster" ? clusterAdmin : admin;
    const store = createRedisStore({
      redis: kind === "cluster" ? { clusterNodes: brokers.redisClusterNodes } : brokers.redisUrl,
      prefix,
      ...options,
    });
    return {
      store,
      prefix,
      close: async () => {
        await store.close();
        await deleteKeys(client, prefix);
      },
    };
  };
}

describeStoreConformance("redis", openOn("standalone"));
describeStoreConformance("redis cluster", openOn("cluster"));

async function withRedisStoreOn(
  kind: "standalone" | "cluster",
  body: (store: RedisSchedulerStore, prefix: string) => Promise<void>,
  options: Partial<RedisStoreOptions> = {},
): Promise<void> {
  const { store, prefix, close } = await openOn(kind)(options);
  try {
    await body(store, prefix);
  } finally {
    await close();
  }
}

function withRedisStore(
  body: (store: RedisSchedulerStore, prefix: string) => Promise<void>,
  options: Partial<RedisStoreOptions> = {},
): Promise<void> {
  return withRedisStoreOn("standalone", body, options);
}

/** The keys matching a SCAN pattern, sorted, on standalone Redis or on every master of a Cluster. */
async function keysMatching(client: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of client instanceof Cluster ? client.nodes("master") : [client]) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 10_000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
  }
  return found.sort();
}

function isCode(code: string) {
  return (error: unknown) => error instanceof HookyardError && error.code === code;
}

describe("redis store", () => {
  it("builds the same keys in TypeScript and in Lua", async () => {
    const keys = createRedisKeys("hy-keys");
    const [id, key] = ["ep:with:colons", "order}{key"];
    const lua = `${LUA_KEY_FUNCTIONS}
      use_base(ARGV[1])
      return { K.schedule, K.leases, K.endpoints, K.wake, K.endpoint(ARGV[2]), K.queue(ARGV[2]), K.heads(ARGV[2]),
        K.line(ARGV[2], ARGV[3]), K.message(ARGV[2]), K.delivery(ARGV[2]),
        K.attempts(ARGV[2]), K.dedup(ARGV[3]), K.outbox, K.outbox_counts, K.outbox_ids, K.format, K.envelopes }`;
    const fromLua = await admin.eval(lua, 0, keys.base, id, key);
    assert.deepEqual(fromLua, [
      keys.schedule,
      keys.leases,
      keys.endpoints,
      keys.wakeChannel,
      keys.endpoint(id),
      keys.queue(id),
      keys.heads(id),
      keys.line(id, key),
      keys.message(id),
      keys.delivery(id),
      keys.attempts(id),
      keys.dedup(key),
      keys.outbox,
      keys.outboxCounts,
      keys.outboxIds,
      keys.format,
      keys.envelopes,
    ]);
    // One hash tag: every key of the store lives in one Redis Cluster slot.
    const slots = new Set(
      await Promise.all([keys.schedule, keys.queue(id), keys.line(id, key), keys.delivery("d")].map(slotOf)),
    );
    assert.equal(slots.size, 1);
    assert.throws(() => createRedisKeys("bad{prefix"), isCode("CONFIG_INVALID"));
  });

  it("keeps every payload byte exact", () =>
    withRedisStore(async (store) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      const data = new Uint8Array(512);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
      const envelope = createEnvelope({
        id: "evt-binary",
        source: "test",
        type: "binary",
        data,
        contentType: "application/octet-stream",
        headers: { "x-unicode": "héllo ✓ \u0000 end" },
        key: "clé",
      });
      const { deliveryIds } = await store.enqueue({ envelope, endpointIds: [ep], now: 1_000 });
      const [claimed] = (await store.claim({ workerId: "w", max: 1, leaseMs: 1000, now: 1_000 })).deliveries;
      assert.deepEqual(Buffer.from(claimed?.envelope.data ?? []), Buffer.from(data));
      assert.equal(claimed?.envelope.headers["x-unicode"], "héllo ✓ \u0000 end");
      assert.equal(claimed?.envelope.key, "clé");
      const info = await store.getDelivery(deliveryIds[0] ?? "");
      assert.deepEqual(Buffer.from(info?.envelope?.data ?? []), Buffer.from(data));
    }));

  it("re-syncs endpoint policies after its keys are lost (FLUSHALL), without a restart", () =>
    withRedisStore(async (store, prefix) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 3 })]);
      await store.setEndpointEnabled(ep, true, 1);
      await deleteKeys(admin, prefix); // what a FLUSHALL does to this store
      const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 10 });
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 10 });
      assert.deepEqual(
        claimed.deliveries.map((d) => d.deliveryId),
        deliveryIds,
      );
      await store.complete(
        "w",
        [{ deliveryId: deliveryIds[0] ?? "", kind: "delivered", attempt: attemptAt(11, 200) }],
        11,
      );
      assert.deepEqual(
        (await takeAllSettled(store, 12)).map((r) => [r.deliveryId, r.status]),
        [[deliveryIds[0], "delivered"]],
      );

      // Only the policy hash lost while work is queued: claim notices, re-syncs, and the next claim leases.
      const second = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 20 });
      await admin.del(store.keys.endpoint(ep));
      const first = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 20 });
      assert.deepEqual(first.deliveries, []);
      assert.equal(first.nextDueAt, 20);
      const again = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 21 });
      assert.deepEqual(
        again.deliveries.map((d) => d.deliveryId),
        second.deliveryIds,
      );

      await deleteKeys(admin, prefix);
      assert.equal((await store.getEndpointState(ep, 30)).enabled, true);
      await deleteKeys(admin, prefix);
      await store.setEndpointEnabled(ep, false, 31);
      assert.equal((await store.getEndpointState(ep, 31)).disabledReason, "disabled by operator");
      await assert.rejects(
        store.enqueue({ envelope: testEnvelope(), endpointIds: [uniqueId("never-synced")], now: 40 }),
        isCode("ENDPOINT_UNKNOWN"),
      );
    }));

  it("queues a deduplicated message whose endpoint Redis lost: the retry after the re-sync is no duplicate", () =>
    withRedisStore(async (store) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      await admin.del(store.keys.endpoint(ep)); // the policy hash lost (a flush): the script finds it unknown
      const request = { endpointIds: [ep], dedupKey: uniqueId("dedup"), dedupTtlMs: 60_000 };
      // The script's dedup SET is taken back with the refused message, so the store's retry (after restoring
      // the policy) queues it instead of answering with the ids of a message never written.
      const first = await store.enqueue({ ...request, envelope: testEnvelope(), now: 10 });
      assert.equal(first.duplicate, false);
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 11 });
      assert.deepEqual(
        claimed.deliveries.map((d) => d.deliveryId),
        first.deliveryIds,
      );
      const again = await store.enqueue({ ...request, envelope: testEnvelope(), now: 12 });
      assert.deepEqual([again.duplicate, again.messageId], [true, first.messageId]);
    }));

  it("reads hashes and outbox records written before the packed formats (a Redis restarted mid-flight)", () =>
    withRedisStore(async (store) => {
      const ep = uniqueId("ep-old");
      await store.syncEndpoints([testEndpoint(ep)]);
      const envelope = testEnvelope();
      const { messageId, deliveryIds } = await store.enqueue({ envelope, endpointIds: [ep], now: 1 });
      const deliveryId = deliveryIds[0] ?? "";
      // One field per value, as stored before: disabled by an operator, one failure in the breaker's window.
      const key = store.keys.endpoint(ep);
      await admin.del(key);
      await admin.hset(key, {
        ...{ conc: 10, rps: 0, burst: 1, ord: 0, bw: 60_000, bmin: 5, brate: 0.5, bcool: 1000, bdis: 0 },
        ...{ dmsg: "failing", cfg: 1, en: 0, why: "disabled by operator", inf: 0, tat: "", br: "closed", ou: "" },
        ...{ probe: 0, ws: 0, wok: 0, wfail: 1, fs: 1, wait: 0, pu: "" },
      });
      // The delivery too, its envelope inline.
      const deliveryKey = store.keys.delivery(deliveryId);
      const env = (await admin.hget(deliveryKey, "env")) ?? "";
      await admin.del(deliveryKey);
      await admin.hset(deliveryKey, { m: messageId, ep, st: "queued", c: 1, env });
      // In the legacy outbox (one record per entry), where versions of that time wrote them.
      const legacy = store.keys.legacyOutbox;
      await admin.xadd(legacy, "*", "d", "old-d", "m", "old-m", "ep", ep, "st", "dead", "a", "2", "s", "2");
      await admin.xadd(legacy, "*", "d", "old-e", "m", "old-n", "ep", ep, "st", "delivered", "a", "1");

      const queued = await store.getDelivery(deliveryId);
      assert.deepEqual(
        [queued?.status, queued?.attempts, queued?.createdAt, queued?.envelope?.id],
        ["queued", 0, 1, envelope.id],
      );
      const state = await store.getEndpointState(ep, 2);
      assert.deepEqual(
        [state.enabled, state.disabledReason, state.failingSince, state.queued],
        [false, "disabled by operator", 1, 1],
      );
      assert.deepEqual((await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 2 })).deliveries, []);
      await store.setEndpointEnabled(ep, true, 3);
      assert.deepEqual((await admin.hkeys(key)).sort(), ["pol", "st", "wait"], "rewritten in the packed format");
      const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 3 });
      assert.deepEqual(
        deliveries.map((d) => [d.deliveryId, d.attempt, d.createdAt, d.envelope.id]),
        [[deliveryId, 1, 1, envelope.id]],
      );
      await store.complete("w", [{ deliveryId, kind: "delivered", attempt: attemptAt(4, 200) }], 4);
      assert.equal((await store.outboxStats(10)).oldestAgeMs, 8, "aged by the old record's own settle time field");
      assert.deepEqual(
        (await takeAllSettled(store, 5)).map((r) => [r.deliveryId, r.messageId, r.endpointId, r.status, r.attempts]),
        [
          [deliveryId, messageId, ep, "delivered", 1],
          ["old-d", "old-m", ep, "dead", 2],
          ["old-e", "old-n", ep, "delivered", 1],
        ],
      );
    }));

  for (const kind of ["standalone", "cluster"] as const)
    it(`keeps no envelope written ahead for a message it did not store (duplicates, unknown endpoints), ${kind}`, () =>
      withRedisStoreOn(kind, async (store, prefix) => {
        const [a, b] = [uniqueId("ep-a"), uniqueId("ep-b")];
        await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
        const dedup = (dedupKey: string) => ({ dedupKey, dedupTtlMs: 60_000 });
        const first = testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES);
        const seen = await store.enqueue({ envelope: first, endpointIds: [a], now: 1, ...dedup("seen") });
        // One turn, one script call of 12 messages: large enough that the envelopes are written ahead of the script
        // (redis-store.ts, enqueueScript), which must delete those of the messages it does not store.
        const batch = [
          { endpointIds: [a], ...dedup("seen") }, // a duplicate of an earlier call
          { endpointIds: [a, b], ...dedup("seen") }, // the same, fanned out
          { endpointIds: [a], ...dedup("new") },
          { endpointIds: [b], ...dedup("new") }, // a duplicate within the call
          { endpointIds: [a, uniqueId("ep-never-synced")] }, // an unknown endpoint: nothing stored
          { endpointIds: [a, b] },
          ...Array.from({ length: 6 }, () => ({ endpointIds: [b] })),
        ];
        // Most large; a small one goes as an argument whatever the batch, in the same call.
        const envelopes = batch.map((_, i) => testEnvelope(undefined, i === 7 ? 6 : ENVELOPE_AHEAD_MIN_BYTES));
        const results = await Promise.allSettled(
          batch.map((message, i) => store.enqueue({ envelope: envelopes[i] ?? testEnvelope(), now: 2, ...message })),
        );
        const outcome = results.map((r) => (r.status === "fulfilled" ? r.value.duplicate : r.reason.code));
        assert.deepEqual(outcome, [true, true, false, true, "ENDPOINT_UNKNOWN", ...Array(7).fill(false)]);
        // Stored: the earlier call's delivery, and those of messages 2, 5 (two) and 6–11.
        const envelopeOf = new Map(seen.deliveryIds.map((id) => [id, first.id]));
        results.forEach((r, i) => {
          if (r.status === "fulfilled" && !r.value.duplicate) {
            for (const id of r.value.deliveryIds) envelopeOf.set(id, envelopes[i]?.id ?? "");
          }
        });
        assert.equal(envelopeOf.size, 10);
        const keysOf = (type: string) =>
          keysMatching(kind === "cluster" ? clusterAdmin : admin, `{${prefix}}:${type}:*`);
        assert.deepEqual(await keysOf("dlv"), [...envelopeOf.keys()].map((id) => `{${prefix}}:dlv:${id}`).sort());
        assert.equal((await keysOf("msg")).length, 1, "the stored fan-out's message hash, and no other");
        // Each stored delivery leases with its own envelope.
        const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 1000, now: 3 });
        assert.deepEqual(claimed.deliveries.map((d) => [d.deliveryId, d.envelope.id]).sort(), [...envelopeOf].sort());
      }));

  it("claims envelopes of either home, and dead-letters a lease whose envelope Redis lost", () =>
    withRedisStore(async (store) => {
      const [a, b] = [uniqueId("ep-a"), uniqueId("ep-b")];
      await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
      const [inline, fanned] = [testEnvelope(), testEnvelope()];
      const one = await store.enqueue({ envelope: inline, endpointIds: [a], now: 1 });
      const two = await store.enqueue({ envelope: fanned, endpointIds: [a, b], now: 1 });
      const gone = await store.enqueue({ envelope: testEnvelope(), endpointIds: [a], now: 1 });
      const goneShared = await store.enqueue({ envelope: testEnvelope(), endpointIds: [a, b], now: 1 });
      // Lost data (a partial restore, a hand-made edit): the envelope's field and the fan-out's shared hash.
      await admin.hdel(store.keys.delivery(gone.deliveryIds[0] ?? ""), "env");
      await admin.del(store.keys.message(goneShared.messageId));
      const events: string[] = [];
      const unsubscribe = store.onEvent((event) => {
        if (event.kind === "delivery.dead") events.push(`${event.deliveryId}:${event.reason}`);
      });
      const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 2 });
      unsubscribe();
      assert.deepEqual(
        deliveries.map((d) => [d.deliveryId, d.envelope.id]).sort(),
        [
          [one.deliveryIds[0], inline.id],
          [two.deliveryIds[0], fanned.id],
          [two.deliveryIds[1], fanned.id],
        ].sort(),
      );
      const lostIds = [gone.deliveryIds[0], ...goneShared.deliveryIds];
      assert.deepEqual(events.sort(), lostIds.map((id) => `${id}:envelope missing`).sort(), "told to operators");
      const records = await takeAllSettled(store, 3);
      assert.deepEqual(
        records.map((r) => [r.deliveryId, r.status, r.deadReason, r.envelope]).sort(),
        lostIds.map((id) => [id, "dead", "envelope missing", undefined]).sort(),
        "each kept as a dead letter, so the loss is visible",
      );
      // Nothing of them is left to claim, and the endpoints' in-flight counts are the three real leases.
      assert.deepEqual((await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 4 })).deliveries, []);
      assert.equal((await store.getEndpointState(a, 4)).inFlight, 2);
      assert.equal((await store.getEndpointState(b, 4)).inFlight, 1);
    }));

  it("shares a fanned-out envelope until its last delivery settles, then leaves no key behind", () =>
    withRedisStore(async (store) => {
      const [a, b] = [uniqueId("ep-a"), uniqueId("ep-b")];
      await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
      const envelope = testEnvelope();
      const { messageId, deliveryIds } = await store.enqueue({ envelope, endpointIds: [a, b], now: 1 });
      const [deadId, deliveredId] = deliveryIds as [string, string];
      await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 1 });
      await store.complete("w", [{ deliveryId: deadId, kind: "dead", reason: "poison" }], 2);
      assert.equal(await admin.exists(store.keys.message(messageId)), 1, "still referenced by the other delivery");
      await store.complete("w", [{ deliveryId: deliveredId, kind: "delivered", attempt: attemptAt(3, 200) }], 3);
      // Settled: nothing of the message is left in Redis but the two outbox records, each with the envelope.
      assert.equal(await admin.exists(store.keys.message(messageId), store.keys.delivery(deadId)), 0);
      assert.equal(await admin.exists(store.keys.delivery(deliveredId), store.keys.attempts(deliveredId)), 0);
      const records = await takeAllSettled(store, 4);
      assert.deepEqual(
        records.map((r) => [r.deliveryId, r.status, [...(r.envelope?.data ?? [])]]),
        [
          [deadId, "dead", [...envelope.data]],
          [deliveredId, "delivered", [...envelope.data]],
        ],
      );
      const [dead] = records;
      assert.ok(dead?.envelope);
      await store.requeue([{ ...dead, envelope: dead.envelope }], 5);
      const [again] = (await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 5 })).deliveries;
      assert.deepEqual([again?.deliveryId, [...(again?.envelope.data ?? [])]], [deadId, [...envelope.data]]);
    }));

  it("ages the outbox at the store's clock when asked without a time (stats, outboxStats)", async () => {
    // The store clock is this local clock plus the offset to Redis time, which is never measured here.
    const local = createManualClock(1_000_000);
    await withRedisStore(
      async (store) => {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const [id] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1_000_000 })).deliveryIds;
        await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 1_000_000 });
        await store.complete(
          "w",
          [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(1_000_000, 200) }],
          1_000_000,
        );
        local.advance(5000);
        assert.deepEqual((await store.stats()).outbox, { records: 1, shed: 0, oldestAgeMs: 5000 });
        assert.deepEqual(await store.outboxStats(), { records: 1, shed: 0, oldestAgeMs: 5000 });
      },
      { localClock: local },
    );
  });

  it("hands off the envelope its own lease decoded, and decodes the records other instances leased", () =>
    withRedisStore(async (store, prefix) => {
      const other = createRedisStore({ redis: brokers.redisUrl, prefix });
      try {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
        for (const key of ["a", "b"]) await store.enqueue({ envelope: testEnvelope(key), endpointIds: [ep], now: 1 });
        const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1 });
        assert.equal(deliveries.length, 2);
        const attempt = attemptAt(2, 200);
        // Settled one call each: an outbox entry each (one call's records share one).
        for (const { deliveryId, leaseToken } of deliveries) {
          await store.complete("w", [{ deliveryId, kind: "delivered", attempt, leaseToken }], 2);
        }
        const leased = new Map(deliveries.map((d) => [d.deliveryId, d.envelope]));
        const take = (from: typeof store) =>
          from.takeSettled({ consumer: "c", max: 1, reclaimAfterMs: 3_600_000, now: 3 });
        // The other instance never leased it: a new decode, equal to the lease's.
        const [first] = await take(other);
        assert.ok(first?.record.envelope);
        assert.deepEqual(first.record.envelope, leased.get(first.record.deliveryId));
        assert.notEqual(first.record.envelope, leased.get(first.record.deliveryId));
        // This one did: the lease's own object, decoded once.
        const [second] = await take(store);
        assert.ok(second?.record.envelope);
        assert.notEqual(second.record.deliveryId, first.record.deliveryId);
        assert.equal(second.record.envelope, leased.get(second.record.deliveryId));
      } finally {
        await other.close();
      }
    }));

  it("forgets the outbox consumers of dead drainers once their records are taken over, never a holder", () =>
    withRedisStore(async (store) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 })).deliveryIds);
      }
      await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 1 });
      const attempt = attemptAt(2, 200);
      // Two records settled in one call share an outbox entry; the third has one of its own.
      const settle = (dids: string[]) =>
        store.complete(
          "w",
          dids.map((deliveryId) => ({ deliveryId, kind: "delivered" as const, attempt })),
          2,
        );
      await settle(ids.slice(0, 2));
      await settle(ids.slice(2));
      const take = (consumer: string, max: number, reclaimAfterMs: number, forgetIdleConsumersMs?: number) =>
        store.takeSettled({
          consumer,
          max,
          reclaimAfterMs,
          now: 3,
          ...(forgetIdleConsumersMs === undefined ? {} : { forgetIdleConsumersMs }),
        });
      const consumers = async () => {
        const rows = (await admin.xinfo("CONSUMERS", store.keys.outbox, "history")) as unknown[][];
        return new Map(rows.map((row) => [String(row[1]), Number(row[3])]));
      };
      // "dead" takes two records (one entry) and never acknowledges them (its process died); "live" holds the third.
      assert.equal((await take("dead", 2, 3_600_000)).length, 2);
      const deadIdle = async () => {
        const pending = (await admin.xpending(store.keys.outbox, "history", "-", "+", 10, "dead")) as unknown[][];
        return Math.min(...pending.map((row) => Number(row[2])));
      };
      // The live drainer takes its record 1 s after the dead one took its: so its record is always idle 1 s less.
      await waitFor("the dead drainer's records to be idle for 1 s", async () =>
        (await deadIdle()) >= 1000 ? true : undefined,
      );
      assert.equal((await take("live", 10, 3_600_000)).length, 1);
      // XINFO counts pending entries: the dead drainer's two records are one.
      assert.deepEqual([...(await consumers())].sort(), [
        ["dead", 1],
        ["live", 1],
      ]);

      // Records idle as long as the dead drainer's are taken over (not the live one's), and a drainer idle for less
      // than the bound is kept.
      const taken = await take("next", 10, await deadIdle(), 3_600_000);
      assert.equal(taken.length, 2);
      assert.deepEqual([...(await consumers())].sort(), [
        ["dead", 0],
        ["live", 1],
        ["next", 1],
      ]);
      // Idle past the bound and holding nothing: forgotten. "live" holds a record: kept however idle it is.
      await take("next", 10, 3_600_000, 0);
      assert.deepEqual([...(await consumers())].sort(), [
        ["live", 1],
        ["next", 1],
      ]);
      await store.ackSettled(taken);
      assert.equal((await store.outboxStats()).records, 1, "the live drainer's record is still waiting");
    }));

  it("drives the worker end to end: every event delivered once, failures retried", () =>
    withRedisStore(async (store) => {
      const endpoints = [0, 1, 2].map((i) =>
        testEndpoint(uniqueId(`ep-${i}`), {
          concurrency: 5,
          retry: { scheduleMs: [0, 10, 10], jitter: 0, maxRetryAfterMs: 1000, minThrottleDelayMs: 10 },
        }),
      );
      await store.syncEndpoints(endpoints);
      const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
      const sent = new Map<string, number>();
      const worker = createWorker({
        store,
        endpoints: (id) => byId.get(id),
        maxIdleMs: 200,
        send: async (claimed) => {
          const count = (sent.get(claimed.deliveryId) ?? 0) + 1;
          sent.set(claimed.deliveryId, count);
          const attempt = { startedAt: new Date().toISOString(), durationMs: 1, status: 200 };
          // Every fifth event fails once with a 500, then succeeds on its retry.
          return claimed.envelope.id.endsWith("-fail") && count === 1
            ? { kind: "retry", attempt: { ...attempt, status: 500 } }
            : { kind: "delivered", attempt };
        },
      });
      worker.start();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 150; i++) {
          const envelope = createEnvelope({
            id: `evt-${i}${i % 5 === 0 ? "-fail" : ""}`,
            source: "t",
            type: "t",
            data: "{}",
          });
          const endpoint = endpoints[i % 3]?.id ?? "";
          ids.push(...(await store.enqueue({ envelope, endpointIds: [endpoint], now: Date.now() })).deliveryIds);
        }
        const delivered = new Set<string>();
        await waitFor(
          "every delivery to be delivered",
          async () => {
            for (const r of await takeAllSettled(store, Date.now()))
              if (r.status === "delivered") delivered.add(r.deliveryId);
            return ids.every((id) => delivered.has(id)) ? true : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
        const failing = ids.filter((_, i) => i % 5 === 0);
        assert.ok(failing.every((id) => sent.get(id) === 2));
        assert.ok(ids.filter((_, i) => i % 5 !== 0).every((id) => sent.get(id) === 1));
      } finally {
        await worker.stop({ graceMs: 2_000 });
      }
    }));

  it("fails fast with a retryable REDIS_UNAVAILABLE when Redis cannot be reached", async () => {
    const store = createRedisStore({ redis: "redis://127.0.0.1:1", prefix: uniqueName("hyt"), connectWaitMs: 300 });
    try {
      for (const call of [
        () => store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep"], now: 1 }),
        () => store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 1 }),
        () => store.complete("w", [{ deliveryId: "d", kind: "release", dueAt: 1 }], 1),
      ]) {
        // Fast by cause, not by stopwatch: refused on the unreachable connection, not after a command timeout.
        await assert.rejects(
          call(),
          (error: unknown) =>
            error instanceof HookyardError &&
            error.code === "REDIS_UNAVAILABLE" &&
            error.retryable &&
            !/timed out/i.test(error.message),
        );
      }
    } finally {
      await store.close();
    }
    await assert.rejects(store.claim({ workerId: "w", max: 1, leaseMs: 1, now: 1 }), isCode("STORE_CLOSED"));
  });

  it("sends concurrent enqueues in shared script calls, each caller getting its own result", async () => {
    const client = new Redis(brokers.redisUrl);
    const scriptCalls: number[] = []; // one entry (its argument count) per enqueue script call
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; args: unknown[] }) => {
      if (/^(eval|fcall)/i.test(command.name) && String(command.args[2]).endsWith(":schedule")) {
        scriptCalls.push(command.args.length);
      }
      return send(command as never);
    }) as typeof client.sendCommand;
    const prefix = uniqueName("hyt");
    const store = createRedisStore({ redis: client, prefix });
    try {
      const [a, b] = [uniqueId("ep"), uniqueId("ep")];
      await store.syncEndpoints([testEndpoint(a), testEndpoint(b, { orderedByKey: true })]);
      scriptCalls.length = 0;
      const calls = Array.from({ length: 600 }, (_, i) =>
        store.enqueue({
          envelope: testEnvelope(`k${i % 3}`),
          endpointIds: i % 2 === 0 ? [a] : [a, b],
          now: 1_000 + (i % 5),
          // Every tenth call repeats the dedup key of the call before it, inside the same batch.
          ...(i % 10 === 9 ? { dedupKey: `dup-${i - 1}`, dedupTtlMs: 60_000 } : {}),
          ...(i % 10 === 8 ? { dedupKey: `dup-${i}`, dedupTtlMs: 60_000 } : {}),
        }),
      );
      const unknown = store.enqueue({ envelope: testEnvelope(), endpointIds: [a, "never-synced"], now: 1_000 });
      const results = await Promise.all(calls);
      await assert.rejects(unknown, isCode("ENDPOINT_UNKNOWN"));
      // 601 calls made in one tick: ten script calls (64 messages at most each), not 601.
      assert.ok(scriptCalls.length >= 10 && scriptCalls.length <= 12, `${scriptCalls.length} script calls`);

      results.forEach((result, i) => {
        if (i % 10 === 9) {
          assert.equal(result.duplicate, true, `call ${i} is a duplicate`);
          assert.deepEqual(result, { ...results[i - 1], duplicate: true });
        } else {
          assert.equal(result.duplicate, false);
          assert.equal(result.deliveryIds.length, i % 2 === 0 ? 1 : 2);
        }
      });
      const fresh = results.filter((result) => !result.duplicate);
      const expected = fresh.reduce((sum, result) => sum + result.deliveryIds.length, 0);
      const claimed: string[] = [];
      const orderedSeen = new Map<string, string[]>(); // key -> b's deliveries in claim order
      for (let round = 0; round < 300 && claimed.length < expected; round++) {
        const batch = await store.claim({ workerId: "w", max: 1000, leaseMs: 60_000, now: 2_000 });
        claimed.push(...batch.deliveries.map((d) => d.deliveryId));
        for (const d of batch.deliveries.filter((d) => d.endpointId === b)) {
          const key = d.envelope.key ?? "";
          orderedSeen.set(key, [...(orderedSeen.get(key) ?? []), d.deliveryId]);
        }
        await store.complete(
          "w",
          batch.deliveries.map((d) => ({
            deliveryId: d.deliveryId,
            kind: "delivered",
            attempt: attemptAt(2_000, 200),
          })),
          2_000,
        );
      }
      assert.deepEqual(claimed.sort(), fresh.flatMap((result) => result.deliveryIds).sort());
      // b orders by key: each key's deliveries went out in call order.
      for (const key of ["k0", "k1", "k2"]) {
        const inCallOrder = results.flatMap((result, i) =>
          i % 2 === 1 && !result.duplicate && `k${i % 3}` === key ? [result.deliveryIds[1] ?? ""] : [],
        );
        assert.deepEqual(orderedSeen.get(key), inCallOrder, `key ${key}`);
      }
      const records = await takeAllSettled(store, 2_001);
      const first = records.find((r) => r.deliveryId === fresh[0]?.deliveryIds[0]);
      assert.equal(first?.createdAt, 1_000);
    } finally {
      await store.close();
      await deleteKeys(client, prefix);
      await client.quit();
    }
  });

  it("accepts a client it does not own and leaves it open", async () => {
    const client = new Redis(brokers.redisUrl);
    const prefix = uniqueName("hyt");
    const store = createRedisStore({ redis: client, prefix });
    try {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      assert.equal((await store.getEndpointState(ep, 1)).enabled, true);
      await store.close();
      assert.equal(await client.ping(), "PONG");
    } finally {
      await deleteKeys(client, prefix);
      await client.quit();
    }
  });
});

async function slotOf(key: string): Promise<number> {
  return Number(await clusterAdmin.cluster("KEYSLOT", key));
}

describe("redis store: one endpoint's state", () => {
  const own = usePrivateRedis(); // its own server: INFO commandstats counts this test's commands only

  /** How many times Redis ran `command` (inner calls of scripts included) since the last CONFIG RESETSTAT. */
  async function calls(command: string): Promise<number> {
    const stats = await own.admin.info("commandstats");
    return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
  }

  it("reads no outbox figures (the stats do)", async () => {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueId("state") });
    try {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      const [id] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 })).deliveryIds;
      await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 2 });
      await store.complete("w", [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(2, 200) }], 3);
      await own.admin.config("RESETSTAT");
      const state = await store.getEndpointState(ep, 4);
      assert.deepEqual([state.endpointId, state.queued, state.inFlight], [ep, 0, 0]);
      assert.deepEqual([await calls("hlen"), await calls("xrange")], [0, 0], "no outbox read for one endpoint");
      assert.equal((await store.stats()).outbox.records, 1, "the stats still carry the outbox's figures");
      // Records waiting (the index's length), and the first entry of the outbox and of the legacy one.
      assert.deepEqual([await calls("hlen"), await calls("xrange")], [1, 2]);
    } finally {
      await store.close();
    }
  });
});
