import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { requireBrokers, startPrivateRedis, uniqueName, usePrivateRedis } from "@hookyard/test-brokers";
import { attemptAt, takeAllSettled, testEndpoint, uniqueId } from "../testing.js";
import { createRedisStore, type RedisStoreOptions } from "./redis-store.js";

// Start-up refusals and a full Redis, on private redis-servers (reconfigured and filled up by the tests).

function refusedFor(setting: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HookyardError, String(error));
    assert.equal(error.code, "CONFIG_INVALID");
    assert.equal(error.details.setting, setting);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("redis start-up check", () => {
  const own = usePrivateRedis();

  async function check(options: Partial<RedisStoreOptions> = {}): Promise<readonly string[]> {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueName("hyt"), ...options });
    try {
      return await store.checkServer();
    } finally {
      await store.close();
    }
  }

  it("accepts noeviction + appendonly yes with no warning", async () => {
    assert.deepEqual(await check(), []);
  });

  it("refuses a maxmemory-policy that evicts, naming the setting and why", async () => {
    try {
      await own.admin.config("SET", "maxmemory-policy", "allkeys-lru");
      await assert.rejects(check(), refusedFor("maxmemory-policy", /allkeys-lru.*queued deliveries.*noeviction/));
      await own.admin.config("SET", "maxmemory-policy", "volatile-ttl");
      await assert.rejects(check(), refusedFor("maxmemory-policy", /volatile-ttl.*de-duplication keys/));
      // The override is for settings that cannot be read, never for one that is read and unsafe.
      await assert.rejects(check({ unverifiedConfig: true }), refusedFor("maxmemory-policy", /volatile-ttl/));
    } finally {
      await own.admin.config("SET", "maxmemory-policy", "noeviction");
    }
  });

  it("warns that everysec without appendonly is not durable", async () => {
    try {
      await own.admin.config("SET", "appendonly", "no");
      const warnings = await check();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? "", /appendonly "no".*appendonly yes/);
    } finally {
      await own.admin.config("SET", "appendonly", "yes");
    }
  });

  it("ackDurability always: refused unless the server fsyncs every write", async () => {
    const always = { durability: { mode: "always" } } as const;
    await assert.rejects(check(always), refusedFor("appendfsync", /appendfsync everysec/));
    try {
      await own.admin.config("SET", "appendfsync", "always");
      assert.deepEqual(await check(always), []);
      await own.admin.config("SET", "appendonly", "no");
      await assert.rejects(check(always), refusedFor("appendonly", /appendonly yes/));
    } finally {
      await own.admin.config("SET", "appendonly", "yes");
      await own.admin.config("SET", "appendfsync", "everysec");
    }
  });

  it("ackDurability replicated: warns when fewer replicas are connected than it waits for", async () => {
    const warnings = await check({ durability: { mode: "replicated", replicas: 1 } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /waits for 1 replica\(s\) but .* has 0 connected/);
  });

  it("managed Redis hiding CONFIG: read from INFO, and what INFO cannot tell is refused unless told", async () => {
    // INFO tells the eviction policy and whether the AOF is on; only `always` needs CONFIG (appendfsync).
    const noConfig = await startPrivateRedis({ config: ['rename-command CONFIG ""'] });
    const open = (options: Partial<RedisStoreOptions>) =>
      createRedisStore({ redis: noConfig.url, prefix: uniqueName("hyt"), ...options });
    const everysec = open({});
    const always = open({ durability: { mode: "always" } });
    const trusting = open({ durability: { mode: "always" }, unverifiedConfig: true });
    try {
      assert.deepEqual(await everysec.checkServer(), []);
      await assert.rejects(
        always.checkServer(),
        refusedFor("appendfsync", /could not read appendfsync.*unverifiedConfig: true/),
      );
      const warnings = await trusting.checkServer();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? "", /could not read appendfsync .*starting anyway/);
    } finally {
      await everysec.close();
      await always.close();
      await trusting.close();
      await noConfig.destroy();
    }
    const evicting = await startPrivateRedis({ config: ['rename-command CONFIG ""', "maxmemory-policy allkeys-lfu"] });
    const store = createRedisStore({ redis: evicting.url, prefix: uniqueName("hyt"), unverifiedConfig: true });
    try {
      await assert.rejects(store.checkServer(), refusedFor("maxmemory-policy", /allkeys-lfu/));
    } finally {
      await store.close();
      await evicting.destroy();
    }
  });
});

describe("ackDurability replicated on Redis Cluster", () => {
  it("is refused at start-up when a master has fewer replicas than ackReplicas, naming the setting", async () => {
    // WAIT goes to each master the writes went to (replicated-cluster.test.ts): a master without enough replicas
    // could never acknowledge its events, and its failover would lose them.
    const { redisClusterNodes } = requireBrokers("redis-cluster");
    const store = createRedisStore({
      redis: { clusterNodes: redisClusterNodes },
      prefix: uniqueName("hyt"),
      durability: { mode: "replicated", replicas: 9 },
    });
    try {
      await assert.rejects(
        store.checkServer(),
        refusedFor(
          "redis.ackReplicas",
          /waits for 9 replica\(s\) of each Cluster master, and master \S+ has \d connected/,
        ),
      );
      // everysec on the same Cluster starts (a Cluster without an AOF is a warning).
      const everysec = createRedisStore({ redis: { clusterNodes: redisClusterNodes }, prefix: uniqueName("hyt") });
      try {
        for (const warning of await everysec.checkServer()) assert.match(warning, /appendonly/);
      } finally {
        await everysec.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe("redis at maxmemory (noeviction)", () => {
  it("refuses intake with REDIS_FULL while leasing and settling deliver every queued delivery", async () => {
    const server = await startPrivateRedis({ config: ["maxmemory 3mb", "maxmemory-policy noeviction"] });
    const store = createRedisStore({ redis: server.url, prefix: uniqueName("hyt") });
    try {
      assert.deepEqual(await store.checkServer(), []);
      const endpoints = Array.from({ length: 20 }, () => uniqueId("ep"));
      await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
      const payload = new Uint8Array(2048).fill(0x61);
      const accepted = new Set<string>();
      let refusal: unknown;
      for (let i = 0; i < 5000 && refusal === undefined; i++) {
        const envelope = createEnvelope({ id: uniqueId("evt"), source: "t", type: "full.test", data: payload });
        try {
          const result = await store.enqueue({
            envelope,
            endpointIds: [endpoints[i % endpoints.length] ?? ""],
            now: 1,
          });
          for (const id of result.deliveryIds) accepted.add(id);
        } catch (error) {
          refusal = error;
        }
      }
      assert.ok(refusal instanceof HookyardError, `intake was never refused (${accepted.size} accepted)`);
      assert.equal(refusal.code, "REDIS_FULL");
      assert.equal(refusal.retryable, true);
      assert.ok(accepted.size > 100, `${accepted.size} accepted before maxmemory`);

      // Still full: intake stays refused, yet every queued delivery is leased and settled.
      const delivered = new Set<string>();
      for (let now = 2; delivered.size < accepted.size; now++) {
        const { deliveries } = await store.claim({ workerId: "w", max: 200, leaseMs: 60_000, now });
        assert.ok(deliveries.length > 0, `nothing claimable with ${accepted.size - delivered.size} left`);
        await store.complete(
          "w",
          deliveries.map((d) => ({
            deliveryId: d.deliveryId,
            kind: "delivered" as const,
            attempt: attemptAt(now, 200),
          })),
          now,
        );
        for (const d of deliveries) {
          assert.ok(!delivered.has(d.deliveryId), `${d.deliveryId} delivered twice`);
          delivered.add(d.deliveryId);
        }
      }
      assert.deepEqual([...delivered].sort(), [...accepted].sort());
      for (const id of endpoints) assert.equal((await store.getEndpointState(id, 10_000)).queued, 0);
      // Handed off to the history (the outbox emptied), the memory is free again and intake resumes by itself.
      const handedOff = await takeAllSettled(store, 10_001);
      assert.equal(handedOff.length, accepted.size);
      const envelope = createEnvelope({ id: uniqueId("evt"), source: "t", type: "full.test", data: payload });
      const again = await store.enqueue({ envelope, endpointIds: [endpoints[0] ?? ""], now: 10_002 });
      assert.equal(again.deliveryIds.length, 1);
    } finally {
      await store.close();
      await server.destroy();
    }
  });
});
