import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { type PrivateRedisCluster, startPrivateRedisCluster, uniqueName, waitFor } from "@hookyard/test-brokers";
import { Cluster } from "ioredis";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisKeys } from "./keys.js";
import { createRedisStore, ENVELOPE_AHEAD_MIN_BYTES, type RedisSchedulerStore } from "./redis-store.js";

// ackDurability replicated on Redis Cluster, against a private 3-master + 3-replica cluster (the test kills a
// master, which must not disturb the shared brokers). 6 shards: two per master.

const SHARDS = 6;

function calls(stats: string, name: string): number {
  return Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
}

describe("ackDurability replicated on Redis Cluster", () => {
  let cluster: PrivateRedisCluster;
  let store: RedisSchedulerStore;
  /** Reads from replicas only: what a promoted replica would hold. */
  let replicaReader: Cluster;
  const prefix = uniqueName("hyrc");
  const endpoints = Array.from({ length: 60 }, () => uniqueId("ep"));
  const shardKeys = Array.from({ length: SHARDS }, (_, index) => createRedisKeys(prefix, { index, count: SHARDS }));

  before(async () => {
    cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    replicaReader = new Cluster([...cluster.clusterNodes], { scaleReads: "slave" });
    store = createRedisStore({
      redis: { clusterNodes: cluster.clusterNodes },
      prefix,
      shards: SHARDS,
      durability: { mode: "replicated", replicas: 1, timeoutMs: 2000 },
    });
    await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
  });
  after(async () => {
    await store.close();
    replicaReader.disconnect();
    await cluster.stop();
  });

  /** `count` acknowledged enqueues; every fifth fans out to three endpoints (most likely on three shards). */
  async function enqueueMany(count: number, target = store): Promise<string[]> {
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const endpointIds =
          i % 5 === 0
            ? [0, 1, 2].map((k) => endpoints[(i + k * 7) % endpoints.length] ?? "")
            : [endpoints[i % 60] ?? ""];
        // Large: calls of 8 or more write such envelopes ahead of the script, in its transaction (enqueueScript).
        return target.enqueue({ envelope: testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES), endpointIds, now: 1 });
      }),
    );
    return results.flatMap((result) => result.deliveryIds);
  }

  /** Which shard holds each delivery, read from the replicas. */
  async function onReplicas(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await Promise.all(
      ids.flatMap((id) =>
        shardKeys.map(async (keys) => {
          // The first item of the delivery's packed state (lib/delivery.lua).
          const status = (await replicaReader.hget(keys.delivery(id), "s"))?.split("|")[0];
          if (status !== undefined) found.set(id, status);
        }),
      ),
    );
    return found;
  }

  it("acknowledges only once each master's replica holds the writes: one WAIT per master per batch", async () => {
    assert.deepEqual(await store.checkServer(), []);
    await enqueueMany(SHARDS * 2); // scripts loaded on every master
    const masters = cluster.nodes.filter((n) => n.createdAs === "master");
    await Promise.all(masters.map((n) => n.admin.config("RESETSTAT")));
    const ids = await enqueueMany(400);
    // Read right after the acknowledgements, from the replicas: each WAIT returned once its replica had them.
    const found = await onReplicas(ids);
    assert.equal(found.size, ids.length, `${ids.length - found.size} acknowledged deliveries not on a replica`);
    assert.deepEqual(new Set(found.values()), new Set(["queued"]));
    let waits = 0;
    let scripts = 0;
    let transactions = 0;
    for (const master of masters) {
      transactions += calls(await master.admin.info("commandstats"), "exec");
      const stats = await master.admin.info("commandstats");
      const [own, script] = [
        calls(stats, "wait"),
        calls(stats, "fcall") + calls(stats, "evalsha") + calls(stats, "eval"),
      ];
      console.log(`master ${master.port}: ${script} script calls, ${own} WAITs`);
      assert.ok(script > 0 && own >= 1, `master ${master.port} got writes (${script}) and so at least one WAIT`);
      assert.ok(own <= script, `master ${master.port}: ${own} WAITs for ${script} script calls`);
      waits += own;
      scripts += script;
    }
    assert.ok(waits <= 400 / 8, `${waits} WAITs for 400 events (${scripts} script calls) over 3 masters`);
    assert.ok(transactions >= 1, "envelopes written ahead, in transactions the WAITs cover");
  });

  it("refuses to start when a master has fewer replicas than ackReplicas", async () => {
    const greedy = createRedisStore({
      redis: { clusterNodes: cluster.clusterNodes },
      prefix,
      shards: SHARDS,
      durability: { mode: "replicated", replicas: 2 },
    });
    try {
      await assert.rejects(
        greedy.checkServer(),
        (error: unknown) =>
          error instanceof HookyardError &&
          error.code === "CONFIG_INVALID" &&
          /waits for 2 replica\(s\) of each Cluster master, and master 127\.0\.0\.1:\d+ has 1 connected/.test(
            error.message,
          ),
      );
    } finally {
      await greedy.close();
    }
  });

  /** Claims until every id in `ids` was claimed; retryable errors (a failover under way) are retried. */
  async function claimAll(ids: readonly string[]): Promise<void> {
    const claimed = new Set<string>();
    await waitFor(
      `${ids.length} acknowledged deliveries claimed`,
      async () => {
        try {
          const { deliveries } = await store.claim({ workerId: "w", max: 1000, leaseMs: 600_000, now: 10 });
          for (const d of deliveries) claimed.add(d.deliveryId);
        } catch (error) {
          if (!(error instanceof HookyardError && error.retryable)) throw error;
        }
        return ids.every((id) => claimed.has(id)) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error: Error) => {
      const missing = ids.filter((id) => !claimed.has(id));
      throw new Error(`${error.message}: ${missing.length} missing, e.g. ${missing.slice(0, 3).join(", ")}`);
    });
  }

  it("a master SIGKILLed: its replica is promoted, nothing acknowledged is lost, the same store goes on", async () => {
    const ids = await enqueueMany(300);
    const victim = cluster.nodes.find((n) => n.createdAs === "master" && n.port === cluster.clusterNodes[0]?.port);
    assert.ok(victim);
    await victim.kill();
    const heir = await cluster.waitForPromotion(victim.port);
    console.log(`master ${victim.port} killed; replica ${heir} promoted`);
    // Delivery resumes on the same store (not restarted): every acknowledged delivery is there to claim.
    await claimAll(ids);
    // The promoted master has no replica left: events for its shards are refused (retryable: 503 / not acked),
    // the other masters' shards take theirs.
    // (Other retryable errors, such as a client that has not seen the new slot map yet, are tried again.)
    const refused: string[] = [];
    const taken: string[] = [];
    await Promise.all(
      endpoints.map((id) =>
        waitFor(
          `an enqueue for ${id} taken or refused as not replicated`,
          async () => {
            try {
              taken.push(...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [id], now: 3 })).deliveryIds);
              return true;
            } catch (error) {
              if (!(error instanceof HookyardError && error.retryable)) throw error;
              if (error.code !== "REDIS_NOT_REPLICATED") return undefined;
              refused.push(id);
              return true;
            }
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        ),
      ),
    );
    assert.ok(refused.length > 0 && taken.length > 0, `${refused.length} refused, ${taken.length} taken`);
    // The killed host comes back: it rejoins as the heir's replica, and intake resumes there too.
    await victim.restart();
    const after = await waitFor(
      "an acknowledged enqueue on every shard once the old master is the heir's replica",
      async () => {
        try {
          return await enqueueMany(30);
        } catch (error) {
          if (error instanceof HookyardError && error.retryable) return undefined;
          throw error;
        }
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await claimAll([...taken, ...after]);
  });
});
