#!/usr/bin/env node
// What an enqueue costs on both sides of the connection: the CPU of the process that enqueues (this one: the
// store's JavaScript and ioredis) and Redis's process CPU, per message, as scheduler-bench's enqueue phase sends
// them (waves of 256 concurrent enqueues, coalesced by the store into calls of up to 64; one endpoint each of
// 1,000, a broker-style dedup key) against a private redis-server (AOF on, everysec). redis-phases.mjs counts
// Redis alone; this shows what a change moves from one side to the other (bench/README.md, "Twelfth pass": an
// envelope written ahead of the script saves Redis its Lua interning and costs this process one more command).
//   node bench/scheduler/enqueue-cost.mjs [--payload-bytes 1000] [--messages 20000]
// Another checkout's store: run a copy of this bench/ from a directory with a `node_modules` symlink to its, built.
import { parseArgs } from "node:util";
import { createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";
import { benchEndpoints, enqueueWaves } from "./store-load.mjs";

const { values: args } = parseArgs({
  options: {
    "payload-bytes": { type: "string", default: "1000" },
    messages: { type: "string", default: "20000" },
  },
});
const N = Number(args.messages);
const data = new Uint8Array(Number(args["payload-bytes"])).fill(0x61);
const endpoints = benchEndpoints(1000);

const redis = await startPrivateRedis();
const store = createRedisStore({ redis: redis.url, prefix: "bench" });
await store.syncEndpoints(endpoints);
const redisBefore = await redis.cpuMicros();
const clientBefore = process.cpuUsage();
const started = performance.now();
await enqueueWaves(store, { count: N, endpoints, data });
const seconds = (performance.now() - started) / 1000;
const client = process.cpuUsage(clientBefore);
const redisUs = (await redis.cpuMicros()) - redisBefore;
console.log(
  JSON.stringify({
    payloadBytes: data.length,
    messages: N,
    enqueuesPerSecond: Math.round(N / seconds),
    clientCpuUsPerMessage: Number(((client.user + client.system) / N).toFixed(1)),
    redisCpuUsPerMessage: Number((redisUs / N).toFixed(1)),
  }),
);
await store.close();
await redis.stop();
