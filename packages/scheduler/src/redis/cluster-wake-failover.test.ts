import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { type PrivateRedisCluster, startPrivateRedisCluster, uniqueName, waitFor } from "@hookyard/test-brokers";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisKeys } from "./keys.js";
import { createRedisStore, type RedisSchedulerStore } from "./redis-store.js";
import { clusterSlot, shardOf, shardTag } from "./shard-of.js";

// Wake-ups by sharded pub/sub (SPUBLISH / SSUBSCRIBE) on a private 3-master + 3-replica Redis Cluster: each
// shard's channel is served by the master owning its slot, so the subscription must follow that slot when the
// master is SIGKILLed (its replica promoted) or the slot moves to another master. Polling, no sleeps: enqueue
// with a time of its own until the wake-up naming that time arrives.

const SHARDS = 6;

describe("wake-ups on Redis Cluster follow a shard's slot (sharded pub/sub)", () => {
  let cluster: PrivateRedisCluster;
  let store: RedisSchedulerStore;
  const prefix = uniqueName("hywk");
  /** One endpoint per shard. */
  const endpoints: string[] = [];
  /** The time each wake-up named (undefined: a resubscription, look at everything). */
  const woke: (number | undefined)[] = [];
  let nextTime = 1_000;

  before(async () => {
    cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    for (let shard = 0; shard < SHARDS; shard++) {
      let id = uniqueId("ep");
      while (shardOf(id, SHARDS) !== shard) id = uniqueId("ep");
      endpoints.push(id);
    }
    store = createRedisStore({ redis: { clusterNodes: cluster.clusterNodes }, prefix, shards: SHARDS });
    await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
    store.onWake((dueAt) => woke.push(dueAt));
  });
  after(async () => {
    await store.close();
    await cluster.stop();
  });

  /** Enqueues for shard `shard`'s endpoint at a time of its own until the wake-up naming that time arrives. */
  async function wakeUpArrives(shard: number, what: string): Promise<number> {
    let tries = 0;
    return waitFor(
      what,
      async () => {
        const now = nextTime++;
        tries += 1;
        try {
          await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[shard] ?? ""], now });
        } catch (error) {
          if (error instanceof HookyardError && error.retryable) return undefined; // the failover under way
          throw error;
        }
        // SPUBLISH ran inside the enqueue script: a live subscription has the message by the next poll.
        return waitFor(`the wake-up of ${now}`, async () => (woke.includes(now) ? tries : undefined), {
          timeoutMs: 5000,
          intervalMs: 10,
        }).catch(() => undefined);
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
  }

  /** Port of the master serving shard `shard`'s slot. */
  async function masterOf(shard: number): Promise<number> {
    const slot = clusterSlot(shardTag(prefix, shard, SHARDS));
    const owner = (await cluster.topology()).find(
      (node) => node.role === "master" && !node.failed && node.ranges.some(([from, to]) => slot >= from && slot <= to),
    );
    assert.ok(owner, `a master serves slot ${slot}`);
    return owner.port;
  }

  /** SSUBSCRIBEd connections to `channel` on the node at `port`. */
  async function shardSubscribers(port: number, channel: string): Promise<number> {
    const node = cluster.nodes.find((n) => n.port === port);
    assert.ok(node);
    const reply = (await node.admin.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number];
    return Number(reply[1]);
  }

  it("subscribes on the master owning each shard's slot, and every shard wakes", async () => {
    for (let shard = 0; shard < SHARDS; shard++) {
      assert.equal(await wakeUpArrives(shard, `a wake-up from shard ${shard}`), 1, "the first try is heard");
      const channel = createRedisKeys(prefix, { index: shard, count: SHARDS }).wakeChannel;
      assert.equal(await shardSubscribers(await masterOf(shard), channel), 1);
    }
  });

  it("a master SIGKILLed: once its replica is promoted, its shards' wake-ups arrive again", async () => {
    const shard = 0;
    const victimPort = await masterOf(shard);
    const victim = cluster.nodes.find((n) => n.port === victimPort);
    assert.ok(victim);
    const resubscriptionsBefore = woke.filter((at) => at === undefined).length;
    await victim.kill();
    const heir = await cluster.waitForPromotion(victim.port);
    await wakeUpArrives(shard, `a wake-up from shard ${shard} after ${heir} took over from ${victim.port}`);
    const channel = createRedisKeys(prefix, { index: shard, count: SHARDS }).wakeChannel;
    assert.equal(await shardSubscribers(heir, channel), 1, "subscribed on the promoted replica");
    // Wake-ups sent while the subscription was away are lost: listeners heard "look at everything" meanwhile.
    assert.ok(woke.filter((at) => at === undefined).length > resubscriptionsBefore, "a resubscription announced");
    for (let other = 1; other < SHARDS; other++) await wakeUpArrives(other, `a wake-up from shard ${other}`);
  });

  it("a shard's slot moved to another master: the subscription follows it", async () => {
    const shard = 1;
    const from = await masterOf(shard);
    const masters = (await cluster.topology()).filter((n) => n.role === "master" && !n.failed && n.slots > 0);
    const to = masters.find((n) => n.port !== from);
    assert.ok(to);
    await cluster.moveSlot(clusterSlot(shardTag(prefix, shard, SHARDS)), to.port);
    await wakeUpArrives(shard, `a wake-up from shard ${shard} after its slot moved from ${from} to ${to.port}`);
    const channel = createRedisKeys(prefix, { index: shard, count: SHARDS }).wakeChannel;
    assert.equal(await shardSubscribers(to.port, channel), 1, "subscribed on the slot's new master");
    assert.equal(await shardSubscribers(from, channel), 0, "and no longer on the old one");
  });
});
