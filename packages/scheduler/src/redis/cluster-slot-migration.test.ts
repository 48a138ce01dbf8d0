import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { type PrivateRedisCluster, startPrivateRedisCluster, uniqueName, waitFor } from "@hookyard/test-brokers";
import { attemptAt, testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore, type RedisSchedulerStore } from "./redis-store.js";
import { clusterSlot, shardOf, shardTag } from "./shard-of.js";

// A live slot migration (what `redis-cli --cluster reshard` does) under a drain and an intake: the shard whose
// slot moves answers ASK and TRYAGAIN while its keys move a few at a time, then MOVED. Private 3-master +
// 3-replica cluster, ackDurability replicated (its intake refuses redirected writes retryably).

const SHARDS = 6;

function retryable(error: unknown): boolean {
  return error instanceof HookyardError && error.retryable;
}

/**
 * `count` new endpoint ids, as many on each shard (random ids missed shard 0, which the test migrates, in ~1 % of
 * runs: 24 ids over 6 shards).
 */
function spreadOverShards(count: number): string[] {
  const perShard = Math.ceil(count / SHARDS);
  const byShard = Array.from({ length: SHARDS }, () => [] as string[]);
  while (byShard.some((ids) => ids.length < perShard)) {
    const id = uniqueId("ep");
    const ids = byShard[shardOf(id, SHARDS)];
    if (ids !== undefined && ids.length < perShard) ids.push(id);
  }
  return byShard.flat().slice(0, count);
}

describe("a scheduler shard's slot migrated between masters mid-drain", () => {
  let cluster: PrivateRedisCluster;
  let store: RedisSchedulerStore;
  const prefix = uniqueName("hymv");
  const endpoints = spreadOverShards(24);

  before(async () => {
    cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    store = createRedisStore({
      redis: { clusterNodes: cluster.clusterNodes },
      prefix,
      shards: SHARDS,
      durability: { mode: "replicated", replicas: 1, timeoutMs: 5000 },
    });
    assert.deepEqual(await store.checkServer(), []);
    await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
  });
  after(async () => {
    await store.close();
    await cluster.stop();
  });

  /** One enqueue for `endpointId`: its delivery ids once acknowledged, undefined when refused (retryable). */
  async function tryEnqueue(endpointId: string): Promise<readonly string[] | undefined> {
    try {
      return (await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpointId], now: 1 })).deliveryIds;
    } catch (error) {
      if (!retryable(error)) throw error;
      return undefined;
    }
  }

  it("delivers every acknowledged delivery, before, during and after the move (ASK, TRYAGAIN, MOVED)", async () => {
    const acknowledged: string[] = [];
    /** Endpoints whose event was refused (sent again once the move is over, as a producer would). */
    const refused: string[] = [];
    for (let i = 0; i < 400; i++) {
      const endpointId = endpoints[i % endpoints.length] ?? "";
      const ids = await tryEnqueue(endpointId);
      if (ids) acknowledged.push(...ids);
      else refused.push(endpointId);
    }
    const delivered = new Map<string, number>();
    let claimErrors = 0;
    let now = 2;
    /** One claim and the completion of what it leased; retryable errors (a redirect storm) are counted. */
    const drainStep = async (): Promise<void> => {
      now += 1;
      try {
        const { deliveries } = await store.claim({ workerId: "w", max: 20, leaseMs: 600_000, now });
        if (deliveries.length === 0) return;
        await store.complete(
          "w",
          deliveries.map((d) => ({
            deliveryId: d.deliveryId,
            kind: "delivered" as const,
            attempt: attemptAt(now, 200),
            leaseToken: d.leaseToken,
          })),
          now,
        );
        for (const d of deliveries) delivered.set(d.deliveryId, (delivered.get(d.deliveryId) ?? 0) + 1);
      } catch (error) {
        if (!retryable(error)) throw error;
        claimErrors += 1;
      }
    };

    // Shard 0 moves to a master that does not serve it; every step of the move interleaves a drain step and an
    // enqueue, so scripts hit the slot while its keys are half moved.
    const slot = clusterSlot(shardTag(prefix, 0, SHARDS));
    const view = await cluster.topology();
    const owner = view.find((n) => n.role === "master" && n.ranges.some(([l, h]) => slot >= l && slot <= h));
    const target = view.find((n) => n.role === "master" && n.port !== owner?.port);
    assert.ok(owner && target);
    const onShard0 = endpoints.filter((id) => shardOf(id, SHARDS) === 0);
    assert.ok(onShard0.length > 0, "some endpoints live on shard 0");
    let steps = 0;
    await cluster.moveSlot(slot, target.port, {
      keysPerStep: 5,
      onStep: async () => {
        steps += 1;
        await drainStep();
        const endpointId = endpoints[steps % endpoints.length] ?? "";
        const ids = await tryEnqueue(endpointId);
        if (ids) acknowledged.push(...ids);
        else refused.push(endpointId);
      },
    });
    const moved = (await cluster.topology()).find((n) => n.port === target.port);
    assert.ok(
      moved?.ranges.some(([l, h]) => slot >= l && slot <= h),
      "the slot is served by its new master",
    );
    // The refused events sent again, and more for shard 0's endpoints (MOVED for clients with the old slot map).
    const refusedDuringMove = refused.length;
    for (const endpointId of [...refused.splice(0), ...onShard0]) {
      acknowledged.push(
        ...(await waitFor(`an acknowledged enqueue for ${endpointId}`, () => tryEnqueue(endpointId), {
          timeoutMs: 60_000,
          intervalMs: 20,
        })),
      );
    }
    await waitFor(
      "every acknowledged delivery delivered",
      async () => {
        await drainStep();
        return acknowledged.every((id) => delivered.has(id)) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1 },
    ).catch((error: Error) => {
      const missing = acknowledged.filter((id) => !delivered.has(id));
      throw new Error(`${error.message}: ${missing.length} missing, e.g. ${missing.slice(0, 3).join(", ")}`);
    });
    const twice = [...delivered.values()].filter((times) => times > 1).length;
    console.log(
      `slot ${slot} moved ${owner.port} -> ${target.port} in ${steps} steps: ${acknowledged.length} acknowledged, ` +
        `all delivered, ${twice} twice; ${refusedDuringMove} enqueues refused and sent again, ` +
        `${claimErrors} drain steps failed`,
    );
    assert.equal(twice, 0, "a delivery completed twice (leases are long: none expired)");
  });
});
