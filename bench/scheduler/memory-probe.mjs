#!/usr/bin/env node
// Where Redis memory goes after a drain: enqueue N (with broker-style dedup keys), claim and settle them all
// directly through the store (no HTTP), hand the outbox off, delete the dedup keys, and compare MEMORY STATS with
// the same deployment emptied (FLUSHALL + endpoints synced). Prints the fields that differ, and what a settled
// record waiting in the outbox takes (used_memory with all N waiting, less after the hand-off, ÷ N).
//   node bench/scheduler/memory-probe.mjs [--deliveries 20000] [--endpoints 1000]
import { parseArgs } from "node:util";
import { createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";
import { benchEndpoints, enqueueWaves } from "./store-load.mjs";

const { values: args } = parseArgs({
  options: { deliveries: { type: "string", default: "20000" }, endpoints: { type: "string", default: "1000" } },
});
const N = Number(args.deliveries);
// Unpadded ids, as every figure of this probe was taken with.
const endpoints = benchEndpoints(Number(args.endpoints), { id: (i) => `ep-${i}` });
const redis = await startPrivateRedis();
const stats = async () => {
  const reply = await redis.admin.call("MEMORY", "STATS");
  const out = {};
  for (let i = 0; i < reply.length; i += 2) {
    const value = reply[i + 1];
    if (typeof value === "number") out[reply[i]] = value;
    else if (Array.isArray(value))
      for (let j = 0; j < value.length; j += 2) out[`${reply[i]}.${value[j]}`] = value[j + 1];
  }
  return out;
};
try {
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  const data = JSON.stringify({ pad: "x".repeat(1000) });
  await enqueueWaves(store, { count: N, endpoints, data });
  let now = 2;
  for (let left = N; left > 0; now++) {
    const { deliveries } = await store.claim({ workerId: "w", max: 500, leaseMs: 60_000, now });
    if (deliveries.length === 0) throw new Error(`nothing to claim with ${left} left`);
    const attempt = { startedAt: now, durationMs: 1, status: 200 };
    await store.complete(
      "w",
      deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt })),
      now,
    );
    left -= deliveries.length;
  }
  // Every record waits in the outbox now, and none once handed off: the difference is what a waiting record takes.
  const waiting = (await stats())["total.allocated"];
  for (;;) {
    const taken = await store.takeSettled({ consumer: "c", max: 500, reclaimAfterMs: 60_000, now });
    if (taken.length === 0) break;
    await store.ackSettled(taken);
  }
  const perRecord = (waiting - (await stats())["total.allocated"]) / N;
  console.log(`a record waiting in the outbox: ${perRecord.toFixed(0)} B (its payload: ${data.length} B of JSON text)`);
  await store.close();
  let cursor = "0";
  do {
    const [next, keys] = await redis.admin.scan(cursor, "MATCH", "{bench}:dedup:*", "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.admin.del(...keys);
  } while (cursor !== "0");
  const drained = await stats();
  const keys = await redis.admin.dbsize();
  // Redis shrinks its hash tables in its cron (hz 10): read again once it had the time to.
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await stats();
  const leftKeys = [];
  cursor = "0";
  do {
    const [next, found] = await redis.admin.scan(cursor, "COUNT", 1000);
    cursor = next;
    leftKeys.push(...found);
  } while (cursor !== "0");
  const types = {};
  for (const key of leftKeys) {
    const kind = key.replace(/^\{bench\}:/, "").split(":")[0];
    types[kind] = (types[kind] ?? 0) + 1;
  }
  await redis.admin.flushall();
  const empty = createRedisStore({ redis: redis.url, prefix: "bench" });
  await empty.syncEndpoints(endpoints);
  await empty.close();
  await new Promise((r) => setTimeout(r, 2000));
  const emptied = await stats();
  console.log(`keys left after the drain: ${keys} (${JSON.stringify(types)}); emptied: ${await redis.admin.dbsize()}`);
  console.log(
    `used_memory drained / emptied: at once ${(drained["total.allocated"] / emptied["total.allocated"]).toFixed(3)}, after 2 s ${(settled["total.allocated"] / emptied["total.allocated"]).toFixed(3)}`,
  );
  for (const field of Object.keys(emptied)) {
    const a = drained[field] ?? 0;
    const b = settled[field] ?? 0;
    const c = emptied[field] ?? 0;
    if (Math.abs(a - c) > 4096 || Math.abs(b - c) > 4096)
      console.log(`  ${field}: drained ${a}, after 2 s ${b}, emptied ${c}`);
  }
} finally {
  await redis.stop();
}
