import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRedisStore } from "@hookyard/scheduler";
import { attemptAt, takeAllSettled, testEndpoint, testEnvelope } from "@hookyard/scheduler/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { runCliCaptured } from "./captured-cli.js";

const { redisUrl } = requireBrokers("redis");

const cli = runCliCaptured;

describe("hookyard reshard", () => {
  let dir: string;
  const prefix = uniqueName("hyr");
  const admin = new Redis(redisUrl);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookyard-reshard-"));
  });
  after(async () => {
    for (const pattern of [`{${prefix}}:*`, `{${prefix}:*`]) {
      const keys = await admin.keys(pattern); // this test's few keys; KEYS is fine on a test Redis
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses undrained data, then switches drained data and carries dedup records over", async () => {
    const config = async (shards: number) => {
      const file = join(dir, `hookyard-${shards}.yaml`);
      await writeFile(file, `redis: { url: "${redisUrl}", prefix: ${prefix}, shards: ${shards} }\n`);
      return file;
    };
    const ep = "ep-reshard";
    const one = createRedisStore({ redis: redisUrl, prefix, shards: 1 });
    await one.checkServer();
    await one.syncEndpoints([testEndpoint(ep)]);
    const now = Date.now();
    const request = { envelope: testEnvelope(), endpointIds: [ep], now, dedupKey: "order-1", dedupTtlMs: 600_000 };
    const first = await one.enqueue(request);

    const refused = await cli(["reshard", "-c", await config(4)]);
    assert.equal(refused.code, 78, refused.err);
    assert.match(refused.err, /cannot reshard prefix .* from 1 to 4 shards: not drained \(1 queued/);

    const claimed = await one.claim({ workerId: "w", max: 10, leaseMs: 60_000, now });
    await one.complete(
      "w",
      claimed.deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(now, 200) })),
      now,
    );
    assert.equal((await takeAllSettled(one, now)).length, 1); // the history hand-off's part of draining
    await one.close();

    const switched = await cli(["reshard", "-c", await config(4)]);
    assert.equal(switched.code, 0, switched.err);
    assert.equal(switched.out, `prefix "${prefix}": 1 → 4 shard(s); 1 dedup record(s) carried over\n`);

    const four = createRedisStore({ redis: redisUrl, prefix, shards: 4 });
    try {
      assert.ok(Array.isArray(await four.checkServer()));
      await four.syncEndpoints([testEndpoint(ep)]);
      const again = await four.enqueue({ ...request, now: now + 1 });
      assert.deepEqual(again, { ...first, duplicate: true }, "a redelivery is still recognised");
      assert.equal((await four.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: now + 1 })).deliveries.length, 0);
    } finally {
      await four.close();
    }
    const old = createRedisStore({ redis: redisUrl, prefix, shards: 1 });
    try {
      await assert.rejects(old.checkServer(), /redis\.shards is 1 but .* written with 4 shard/);
    } finally {
      await old.close();
    }
    assert.equal((await cli(["reshard", "-c", await config(4)])).out, `prefix "${prefix}": already at 4 shard(s)\n`);
  });
});
