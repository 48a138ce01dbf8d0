import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
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
import type { RedisClient } from "./connection.js";
import { createRedisKeys, metaKey } from "./keys.js";
import {
  createRedisShard,
  createRedisStore,
  ENVELOPE_AHEAD_MIN_BYTES,
  type RedisSchedulerStore,
  type RedisStoreOptions,
} from "./redis-store.js";
import { clusterSlot, shardOf, shardTag } from "./shard-of.js";
import { deleteKeysMatching } from "./test-redis-keys.js";

const brokers = requireBrokers("redis", "redis-cluster");
const admin = new Redis(brokers.redisUrl);
const clusterAdmin = new Cluster(brokers.redisClusterNodes.map((node) => ({ host: node.host, port: node.port })));
/** Every prefix of this file starts with `run`: one SCAN per Redis at the end deletes them all. */
const run = uniqueName("hys");
let prefixes = 0;
const nextPrefix = (): string => `${run}-${prefixes++}`;
after(async () => {
  await Promise.all([deleteKeysOf(admin, run), deleteKeysOf(clusterAdmin, run)]);
  await Promise.all([admin.quit(), clusterAdmin.quit()]);
});

/** Deletes every key whose hash tag starts with `stem`, sharded (`{p:i}:…`) or not (`{p}:…`), on every master. */
function deleteKeysOf(client: RedisClient, stem: string): Promise<void> {
  return deleteKeysMatching(client, `{${stem}*`);
}

function openSharded(kind: "standalone" | "cluster", shards: number) {
  return async (options: Partial<RedisStoreOptions> = {}) => {
    const prefix = nextPrefix();
    const store = createRedisStore({
      redis: kind === "cluster" ? { clusterNodes: brokers.redisClusterNodes } : brokers.redisUrl,
      prefix,
      shards,
      ...options,
    });
    return {
      store,
      prefix,
      close: () => store.close(),
    };
  };
}

describeStoreConformance("redis, 4 shards", openSharded("standalone", 4));
describeStoreConformance("redis cluster, 6 shards", openSharded("cluster", 6));

async function withSharded(
  shards: number,
  body: (store: RedisSchedulerStore, prefix: string) => Promise<void>,
  kind: "standalone" | "cluster" = "standalone",
): Promise<void> {
  const { store, prefix, close } = await openSharded(kind, shards)();
  try {
    await body(store, prefix);
  } finally {
    await close();
  }
}

/** The key base of shard `index` of `count`. */
function tagOf(prefix: string, index: number, count: number): string {
  return createRedisKeys(prefix, { index, count }).base;
}

/** `n` endpoint ids, each on the shard `shard` of `count`. */
function idsOnShard(shard: number, count: number, n: number): string[] {
  const ids: string[] = [];
  while (ids.length < n) {
    const id = uniqueId("ep");
    if (shardOf(id, count) === shard) ids.push(id);
  }
  return ids;
}

function isCode(code: string) {
  return (error: unknown) => error instanceof HookyardError && error.code === code;
}

describe("sharded redis store", () => {
  it("hashes ids to shards stably (FNV-1a) and evenly", () => {
    assert.equal(shardOf("ep_1", 1), 0);
    assert.equal(shardOf("", 12), 0x811c9dc5 % 12);
    assert.equal(shardOf("a", 1 << 30), 0xe40c292c % (1 << 30)); // FNV-1a 32 of "a"
    const counts = new Array(12).fill(0);
    for (let i = 0; i < 12_000; i++) counts[shardOf(`ep_${i}`, 12)] += 1;
    for (const n of counts) assert.ok(n > 800 && n < 1200, `shard sizes ${counts}`);
  });

  it("gives shard i a tag in the i-th N-th of the cluster slots (CRC16), so shards spread evenly", () => {
    assert.equal(clusterSlot("123456789"), 0x31c3 % 16_384); // the CRC16/XMODEM check value
    for (const count of [2, 3, 12, 64]) {
      for (let index = 0; index < count; index++) {
        const slot = clusterSlot(shardTag("hy", index, count));
        assert.ok(slot >= (index * 16_384) / count && slot < ((index + 1) * 16_384) / count, `${index}/${count}`);
      }
    }
    assert.equal(shardTag("hy", 1, 12), "hy:1.23"); // stable: part of the stored layout
  });

  it("computes the same slots as Redis Cluster", async () => {
    for (const tag of ["hy:0", "hy:5.3", shardTag("bench-0-12", 7, 12), "hookyard"]) {
      assert.equal(Number(await clusterAdmin.cluster("KEYSLOT", `{${tag}}:x`)), clusterSlot(tag), tag);
    }
  });

  it("stores each endpoint's keys under its shard's own hash tag", () =>
    withSharded(4, async (store, prefix) => {
      const [a] = idsOnShard(2, 4, 1) as [string];
      await store.syncEndpoints([testEndpoint(a)]);
      assert.equal(await admin.exists(`${tagOf(prefix, 2, 4)}ep:${a}`), 1);
      assert.equal(await admin.exists(`{${prefix}}:ep:${a}`, `${tagOf(prefix, 0, 4)}ep:${a}`), 0);
      assert.equal(store.keys.base, `{${prefix}}:`, "companions (admin) keep the unsharded tag");
    }));

  it("fans a message out over shards, each part stored once on its shard, with one message id", () =>
    withSharded(4, async (store, prefix) => {
      const eps = [0, 1, 2, 3].flatMap((shard) => idsOnShard(shard, 4, 2));
      await store.syncEndpoints(eps.map((id) => testEndpoint(id)));
      const result = await store.enqueue({ envelope: testEnvelope(), endpointIds: eps, now: 1000 });
      assert.equal(result.deliveryIds.length, 8);
      for (const shard of [0, 1, 2, 3]) {
        assert.equal(await admin.exists(`${tagOf(prefix, shard, 4)}msg:${result.messageId}`), 1, `part on ${shard}`);
      }
      const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 1000 });
      assert.deepEqual(claimed.deliveries.map((d) => d.deliveryId).sort(), [...result.deliveryIds].sort());
      for (const d of claimed.deliveries) {
        assert.equal(d.endpointId, eps[result.deliveryIds.indexOf(d.deliveryId)]);
        assert.equal((await store.getDelivery(d.deliveryId))?.messageId, result.messageId);
      }
      await store.complete(
        "w",
        claimed.deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(1000, 200) })),
        1001,
      );
      const records = await takeAllSettled(store, 1002);
      assert.equal(records.length, 8);
      assert.ok(records.every((r) => r.messageId === result.messageId));
      for (const shard of [0, 1, 2, 3]) {
        assert.equal(await admin.exists(`${tagOf(prefix, shard, 4)}msg:${result.messageId}`), 0, "settled: freed");
      }
    }));

  it("refuses an unknown endpoint before writing any part", () =>
    withSharded(4, async (store, prefix) => {
      const [a] = idsOnShard(0, 4, 1) as [string];
      const [ghost] = idsOnShard(3, 4, 1) as [string];
      await store.syncEndpoints([testEndpoint(a)]);
      await assert.rejects(
        store.enqueue({ envelope: testEnvelope(), endpointIds: [a, ghost], now: 1 }),
        isCode("ENDPOINT_UNKNOWN"),
      );
      assert.equal(await admin.zcard(`${tagOf(prefix, 0, 4)}queue:${a}`), 0);
    }));

  it("dedups a fanned-out message on its key's shard, and a duplicate completes an interrupted fan-out", () =>
    withSharded(4, async (store, prefix) => {
      const eps = [0, 1, 2, 3].map((shard) => idsOnShard(shard, 4, 1)[0] as string);
      await store.syncEndpoints(eps.map((id) => testEndpoint(id)));
      const dedupKey = uniqueId("dk");
      const request = { envelope: testEnvelope(), endpointIds: eps, now: 1000, dedupKey, dedupTtlMs: 60_000 };
      const first = await store.enqueue(request);
      const again = await store.enqueue({ ...request, now: 1500 });
      assert.deepEqual(again, { ...first, duplicate: true });
      // Interrupted fan-out: the part of one shard other than the key's is lost (as if the call failed there).
      const decider = shardOf(dedupKey, 4);
      const victim = (decider + 1) % 4;
      const lostId = first.deliveryIds[victim] as string;
      await admin.del(
        `${tagOf(prefix, victim, 4)}queue:${eps[victim]}`,
        `${tagOf(prefix, victim, 4)}dlv:${lostId}`,
        `${tagOf(prefix, victim, 4)}dedup:${dedupKey}`,
      );
      assert.deepEqual(await store.enqueue({ ...request, now: 2000 }), { ...first, duplicate: true });
      const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 2000 });
      assert.deepEqual(claimed.deliveries.map((d) => d.deliveryId).sort(), [...first.deliveryIds].sort());
      // Each part exactly once: nothing more to claim.
      assert.equal((await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 3000 })).deliveries.length, 0);
    }));

  it("re-runs a batch of duplicate fan-outs without touching the live parts' envelopes", () =>
    withSharded(4, async (store) => {
      const eps = [0, 1, 2, 3].map((shard) => idsOnShard(shard, 4, 1)[0] as string);
      await store.syncEndpoints(eps.map((id) => testEndpoint(id, { concurrency: 100 })));
      // Twelve fan-outs, then their twelve duplicates in one turn: each duplicate re-runs its other parts with the
      // first call's ids, so each shard's call carries ~9 re-runs of live parts. Written ahead as a new batch's
      // envelopes are (redis-store.ts, enqueueScript), they would be deleted by the script that finds them
      // duplicates: a re-run passes them as arguments instead.
      const requests = Array.from({ length: 12 }, () => ({
        envelope: testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES),
        endpointIds: eps,
        now: 1000,
        dedupKey: uniqueId("dk"),
        dedupTtlMs: 60_000,
      }));
      const firsts = await Promise.all(requests.map((request) => store.enqueue(request)));
      const again = await Promise.all(requests.map((request) => store.enqueue({ ...request, now: 1500 })));
      assert.ok(again.every((result) => result.duplicate));
      const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 2000 });
      const envelopeOf = new Map(
        firsts.flatMap((first, i) => first.deliveryIds.map((id) => [id, requests[i]?.envelope.id])),
      );
      assert.deepEqual(
        claimed.deliveries.map((d) => [d.deliveryId, d.envelope.id]).sort(),
        [...envelopeOf].sort(),
        "every part leases with its envelope",
      );
    }));

  it("dedups a message whose only endpoint lives on another shard than its key", () =>
    withSharded(4, async (store) => {
      const dedupKey = uniqueId("dk");
      const [ep] = idsOnShard((shardOf(dedupKey, 4) + 2) % 4, 4, 1) as [string];
      await store.syncEndpoints([testEndpoint(ep)]);
      const request = { envelope: testEnvelope(), endpointIds: [ep], now: 1000, dedupKey, dedupTtlMs: 60_000 };
      const results = await Promise.all([store.enqueue(request), store.enqueue(request), store.enqueue(request)]);
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1000 });
      assert.equal(claimed.deliveries.length, 1);
    }));

  it("claims fairly across shards: every shard with work is served by one claim", () =>
    withSharded(4, async (store) => {
      const eps = [0, 1, 2, 3].map((shard) => idsOnShard(shard, 4, 1)[0] as string);
      await store.syncEndpoints(eps.map((id) => testEndpoint(id, { concurrency: 100 })));
      for (const ep of eps) {
        await Promise.all(
          Array.from({ length: 20 }, () => store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 })),
        );
      }
      const first = await store.claim({ workerId: "w", max: 8, leaseMs: 60_000, now: 10 });
      const perEndpoint = new Map<string, number>();
      for (const d of first.deliveries) perEndpoint.set(d.endpointId, (perEndpoint.get(d.endpointId) ?? 0) + 1);
      assert.deepEqual([...perEndpoint.values()], [2, 2, 2, 2]);
      assert.equal(first.nextDueAt !== undefined && first.nextDueAt <= 10, true, "work left behind");
      // With max smaller than the shards holding work, successive claims rotate: no shard starves.
      const served = new Set<string>();
      for (let i = 0; i < 4; i++) {
        for (const d of (await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 10 })).deliveries) {
          served.add(d.endpointId);
        }
      }
      assert.equal(served.size, 4);
    }));

  it("keeps rate limits, breakers and per-key order per endpoint on its shard", () =>
    withSharded(4, async (store) => {
      const [limited] = idsOnShard(1, 4, 1) as [string];
      const [ordered] = idsOnShard(2, 4, 1) as [string];
      const [fragile] = idsOnShard(3, 4, 1) as [string];
      await store.syncEndpoints([
        testEndpoint(limited, { concurrency: 10, rateLimit: { perSecond: 10, burst: 1 } }),
        testEndpoint(ordered, { concurrency: 10, orderedByKey: true }),
        testEndpoint(fragile, {
          concurrency: 10,
          breaker: { windowMs: 60_000, minRequests: 2, failureRate: 0.5, cooldownMs: 10_000, disableAfterMs: 0 },
        }),
      ]);
      for (let i = 0; i < 3; i++) {
        await store.enqueue({ envelope: testEnvelope("k"), endpointIds: [limited, ordered, fragile], now: 1000 });
      }
      const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 1000 });
      const of = (ep: string) => claimed.deliveries.filter((d) => d.endpointId === ep);
      assert.equal(of(limited).length, 1, "rate limit: one per 100 ms");
      assert.equal(of(ordered).length, 1, "per-key order: one at a time");
      assert.equal(of(fragile).length, 3);
      assert.equal(claimed.nextDueAt, 1100, "the rate-limited endpoint's next slot");
      await store.complete(
        "w",
        of(fragile).map((d) => ({
          deliveryId: d.deliveryId,
          kind: "retry",
          attempt: attemptAt(1000, 500),
          dueAt: 1200,
        })),
        1010,
      );
      assert.equal((await store.getEndpointState(fragile, 1010)).breaker, "open");
      const later = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 1300 });
      assert.equal(later.deliveries.filter((d) => d.endpointId === fragile).length, 0, "breaker open");
      assert.equal(later.deliveries.filter((d) => d.endpointId === ordered).length, 0, "behind the key's head");
      assert.equal(later.deliveries.filter((d) => d.endpointId === limited).length, 1);
    }));

  it("refuses at start-up a shard count other than the one the data was written with", async () => {
    const prefix = nextPrefix();
    const opened: RedisSchedulerStore[] = [];
    const open = (shards: number) => {
      const store = createRedisStore({ redis: brokers.redisUrl, prefix, shards });
      opened.push(store);
      return store;
    };
    try {
      const one = open(1);
      await one.syncEndpoints([testEndpoint(uniqueId("ep"))]);
      await one.checkServer(); // records 1
      assert.equal(await admin.hget(metaKey(prefix), "shards"), "1");
      await assert.rejects(
        open(4).checkServer(),
        (error: unknown) =>
          isCode("CONFIG_INVALID")(error) &&
          /redis\.shards is 4 but .* written with 1 shard\(s\)/.test((error as Error).message) &&
          (error as HookyardError).details.stored === 1,
      );
      await admin.hset(metaKey(prefix), "shards", 4);
      await assert.rejects(open(1).checkServer(), /redis\.shards is 1 but .* written with 4 shard/);
      assert.ok(Array.isArray(await open(4).checkServer()));
    } finally {
      await Promise.all(opened.map((store) => store.close()));
      await admin.del(metaKey(prefix));
    }
  });

  it("takes data written before the shard count was recorded as one shard", async () => {
    const prefix = nextPrefix();
    try {
      const legacy = createRedisShard({ redis: brokers.redisUrl, prefix });
      await legacy.syncEndpoints([testEndpoint(uniqueId("ep"))]);
      await legacy.close();
      assert.equal(await admin.exists(metaKey(prefix)), 0);
      const four = createRedisStore({ redis: brokers.redisUrl, prefix, shards: 4 });
      try {
        await assert.rejects(four.checkServer(), /written with 1 shard/);
      } finally {
        await four.close();
      }
      assert.equal(await admin.hget(metaKey(prefix), "shards"), "1", "the legacy count is recorded");
    } finally {
      await admin.del(metaKey(prefix));
    }
  });

  it("idles at one command per claim whatever the shard count", async () => {
    const client = new Redis(brokers.redisUrl);
    let commands = 0;
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: never) => {
      commands += 1;
      return send(command);
    }) as typeof client.sendCommand;
    const prefix = nextPrefix();
    const store = createRedisStore({ redis: client, prefix, shards: 16 });
    try {
      const eps = Array.from({ length: 16 }, (_, shard) => idsOnShard(shard, 16, 1)[0] as string);
      await store.syncEndpoints(eps.map((id) => testEndpoint(id)));
      await store.enqueue({ envelope: testEnvelope(), endpointIds: eps, now: 1 });
      const all = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 1 });
      assert.equal(all.deliveries.length, 16);
      await store.complete(
        "w",
        all.deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(1, 1) })),
        2,
      );
      await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 3 }); // visits the completed shards
      const before = commands;
      for (let i = 0; i < 32; i++) {
        const idle = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 10 + i });
        assert.equal(idle.deliveries.length, 0);
        assert.equal(idle.nextDueAt, undefined);
      }
      // One command per idle claim (a sweep of one shard in rotation), not 16: a worker idling with the default
      // maxIdleMs (5 s) costs 0.2 commands/s whatever the shard count.
      assert.equal(commands - before, 32);
      // Work enqueued by another instance wakes the shard it lands on (its wake channel), and only that one.
      const other = createRedisStore({ redis: brokers.redisUrl, prefix, shards: 16 });
      const woken = new Promise<void>((resolve) => store.onWake(() => resolve()));
      await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 50 }); // subscribed: the wake-up counts
      await other.syncEndpoints([testEndpoint(eps[5] as string)]);
      await other.enqueue({ envelope: testEnvelope(), endpointIds: [eps[5] as string], now: 60 });
      await woken;
      const afterWake = commands;
      const claimed = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 60 });
      assert.deepEqual(
        claimed.deliveries.map((d) => d.endpointId),
        [eps[5]],
      );
      assert.ok(commands - afterWake <= 2, `${commands - afterWake} commands for the woken claim`);
      await other.close();
    } finally {
      await store.close();
      await client.quit();
    }
  });

  it("keeps one clock for all its shards: one offset measured and refreshed, not one per shard", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] }); // the refresh, moved by hand
    const client = new Redis(brokers.redisUrl);
    let timeReads = 0;
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; args: unknown[] }) => {
      if (command.name.toLowerCase() === "fcall" && /time$/.test(String(command.args[0]))) timeReads += 1;
      return send(command as never);
    }) as typeof client.sendCommand;
    const store = createRedisStore({ redis: client, prefix: nextPrefix(), shards: 16, clockSyncMs: 30_000 });
    try {
      await store.clock.sync();
      assert.equal(timeReads, 3, "one measurement: three readings");
      t.mock.timers.tick(30_000);
      await store.clock.sync(); // joins the refresh in flight
      await client.ping(); // replies come in order: every reading a refresh sent is answered by now
      assert.equal(timeReads, 6, "one refresh of three readings for 16 shards");
    } finally {
      await store.close();
      await client.quit();
    }
  });

  it("ages the outbox by the oldest record on any shard, all shards at the store's one clock", async () => {
    const local = createManualClock(1_000_000);
    const { store, close } = await openSharded("standalone", 4)({ localClock: local });
    try {
      const [a] = idsOnShard(1, 4, 1) as [string];
      const [b] = idsOnShard(3, 4, 1) as [string];
      await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
      const settle = async (ep: string, now: number) => {
        const [id] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now })).deliveryIds;
        await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now });
        await store.complete("w", [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(now, 200) }], now);
        return id;
      };
      await settle(a, 1_001_000);
      const older = await settle(b, 1_000_000);
      local.set(1_005_000);
      assert.deepEqual(await store.outboxStats(), { records: 2, shed: 0, oldestAgeMs: 5000 }, "shard 3's record");
      assert.deepEqual((await store.stats()).outbox, { records: 2, shed: 0, oldestAgeMs: 5000 });
      const taken = await store.takeSettled({ consumer: "c", max: 10, reclaimAfterMs: 3_600_000, now: 1_005_000 });
      await store.ackSettled(taken.filter((entry) => entry.record.deliveryId === older));
      assert.deepEqual(await store.outboxStats(), { records: 1, shed: 0, oldestAgeMs: 4000 }, "shard 1's record");
    } finally {
      await close();
    }
  });

  it("takes a shard's outbox to the last record though a take returns fewer than asked (entries of one record)", () =>
    withSharded(2, async (store) => {
      const [ep] = idsOnShard(0, 2, 1) as [string];
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 50 })]);
      for (let i = 0; i < 30; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1000 });
      const { deliveries } = await store.claim({ workerId: "w", max: 30, leaseMs: 60_000, now: 1000 });
      assert.equal(deliveries.length, 30);
      // One result per call: 30 outbox entries of one record each. A take counts entries (8 records each, it first
      // assumes), so one of 100 returns ~13 records while the shard holds more.
      for (const d of deliveries) {
        await store.complete(
          "w",
          [{ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(1001, 200) }],
          1001,
        );
      }
      const records = await takeAllSettled(store, 2000);
      assert.equal(new Set(records.map((r) => r.deliveryId)).size, 30);
      assert.equal((await store.outboxStats()).records, 0);
    }));

  it("drains a worker-sized load over shards on the cluster: stats and the outbox aggregate", () =>
    withSharded(
      6,
      async (store) => {
        const eps = Array.from({ length: 30 }, () => uniqueId("ep"));
        await store.syncEndpoints(eps.map((id) => testEndpoint(id, { concurrency: 50 })));
        const ids = new Set<string>();
        for (let m = 0; m < 20; m++) {
          const r = await store.enqueue({ envelope: testEnvelope(), endpointIds: eps, now: 1000 });
          for (const id of r.deliveryIds) ids.add(id);
        }
        const stats = await store.stats();
        assert.equal(stats.endpoints.filter((e) => eps.includes(e.endpointId)).length, 30);
        assert.equal(
          stats.endpoints.reduce((sum, e) => sum + e.queued, 0),
          600,
        );
        const seen = new Set<string>();
        for (let round = 0; round < 50 && seen.size < 600; round++) {
          const batch = await store.claim({ workerId: "w", max: 200, leaseMs: 60_000, now: 1000 + round });
          for (const d of batch.deliveries) seen.add(d.deliveryId);
          await store.complete(
            "w",
            batch.deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(1000, 1) })),
            1000 + round,
          );
        }
        assert.deepEqual([...seen].sort(), [...ids].sort());
        assert.equal((await store.outboxStats()).records, 600);
        const records = await takeAllSettled(store, 5000);
        assert.equal(new Set(records.map((r) => r.deliveryId)).size, 600);
        assert.equal((await store.outboxStats()).records, 0);
      },
      "cluster",
    ));
});
