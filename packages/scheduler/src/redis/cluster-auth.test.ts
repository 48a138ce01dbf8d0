import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type PrivateRedisCluster, startPrivateRedisCluster, uniqueName } from "@hookyard/test-brokers";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore } from "./redis-store.js";

// A Redis Cluster with requirepass: the store's Cluster client (and the clients it derives: wake subscriber,
// replicated intake) authenticate to every node with the connection's credentials.

describe("Redis Cluster with a password", () => {
  let cluster: PrivateRedisCluster;
  const password = `pw-${uniqueId("s")}`;

  before(async () => {
    cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 1, password });
  });
  after(async () => {
    await cluster.stop();
  });

  it("connects with { clusterNodes, password }, and is refused without it", async () => {
    const prefix = uniqueName("hyauth");
    const store = createRedisStore({
      redis: { clusterNodes: cluster.clusterNodes, password },
      prefix,
      shards: 3,
      durability: { mode: "replicated", replicas: 1 },
    });
    try {
      assert.deepEqual(await store.checkServer(), []);
      const endpoint = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(endpoint)]);
      const woke = new Promise<void>((resolve) => store.onWake(() => resolve()));
      const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoint], now: 1 });
      await woke; // the wake subscriber authenticated too
      const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 2 });
      assert.deepEqual(
        deliveries.map((d) => d.deliveryId),
        deliveryIds,
      );
    } finally {
      await store.close();
    }
    const anonymous = createRedisStore({ redis: { clusterNodes: cluster.clusterNodes }, prefix, connectWaitMs: 5000 });
    try {
      await assert.rejects(anonymous.checkServer());
    } finally {
      await anonymous.close();
    }
  });
});
