import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cluster, Redis } from "ioredis";
import { requireBrokers, uniqueName } from "../src/index.js";

const payload = Buffer.from([0x7b, 0x00, 0xff, 0x0a, 0xe2, 0x82, 0xac, 0x7d]);

describe("redis (standalone) smoke", () => {
  let redis: Redis;
  before(() => {
    // RESP2: the raw XREADGROUP reply below is read in its RESP2 shape (RESP3 makes it a map).
    redis = new Redis(requireBrokers("redis").redisUrl, { maxRetriesPerRequest: 2, protocol: 2 });
  });
  after(() => redis.quit());

  it("runs with append-only persistence, as Hookyard requires", async () => {
    const [, appendonly] = (await redis.config("GET", "appendonly")) as [string, string];
    assert.equal(appendonly, "yes");
  });

  it("round-trips bytes and fields through a stream consumer group with ack", async () => {
    const stream = uniqueName("smoke-stream");
    await redis.xgroup("CREATE", stream, "g", "$", "MKSTREAM");
    const id = await redis.xadd(stream, "*", "type", "smoke.tested", "data", payload);
    const reply = (await redis.callBuffer("XREADGROUP", "GROUP", "g", "c1", "COUNT", 10, "STREAMS", stream, ">")) as [
      Buffer,
      [Buffer, Buffer[]][],
    ][];
    const [entryId, fields] = reply[0]?.[1][0] ?? [];
    assert.equal(entryId?.toString(), id);
    assert.equal(fields?.[1]?.toString(), "smoke.tested");
    assert.deepEqual(fields?.[3], payload);
    assert.equal(await redis.xack(stream, "g", id ?? ""), 1);
    const pending = (await redis.xpending(stream, "g")) as [number];
    assert.equal(pending[0], 0);
    await redis.del(stream);
  });
});

describe("redis cluster smoke", () => {
  let cluster: Cluster;
  before(() => {
    cluster = new Cluster([...requireBrokers("redis-cluster").redisClusterNodes], {
      redisOptions: { maxRetriesPerRequest: 2 },
    });
  });
  after(() => cluster.quit());

  it("runs a Lua script over several hash-tagged keys in one slot", async () => {
    const tag = uniqueName("smoke");
    const keys = [`hy:{${tag}}:queue`, `hy:{${tag}}:message`, `hy:{${tag}}:count`];
    const script = `
      redis.call('RPUSH', KEYS[1], ARGV[1])
      redis.call('SET', KEYS[2], ARGV[2])
      return redis.call('INCRBY', KEYS[3], redis.call('LLEN', KEYS[1]))`;
    const result = await cluster.eval(script, keys.length, ...keys, "delivery-1", payload);
    assert.equal(result, 1);
    assert.deepEqual(await cluster.getBuffer(keys[1] ?? ""), payload);
    const slots = new Set(keys.map((key) => clusterSlotOf(key)));
    assert.equal(slots.size, 1, "hash-tagged keys share one slot");
    // The cluster really is sharded: other tags land on other masters.
    const masters = new Set<string>();
    for (let i = 0; i < 32; i++) {
      const node = cluster.slots[clusterSlotOf(`{${tag}-${i}}`)]?.[0];
      if (node) masters.add(node);
    }
    assert.ok(masters.size > 1, `expected keys spread over several masters, got ${[...masters].join(",")}`);
    await cluster.del(...keys);
  });

  it("gives every master a replica that follows it (for failover and ackDurability replicated)", async () => {
    const masters = cluster.nodes("master");
    assert.equal(masters.length, 3);
    for (const master of masters) {
      const info = await master.info("replication");
      assert.match(info, /^connected_slaves:1\r?$/m, `${master.options.host}:${master.options.port} has a replica`);
    }
  });
});

/** CRC16/XMODEM of the hash tag, modulo 16384, as Redis Cluster computes it. */
function clusterSlotOf(key: string): number {
  const open = key.indexOf("{");
  const close = open >= 0 ? key.indexOf("}", open + 1) : -1;
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
