#!/usr/bin/env node
// What one Redis round trip costs this machine when calls are spread out (--rate per second, each started by a
// timer as an arrival is) against the same calls made back to back or pipelined: the floor under issue 14's steady
// / drain ratio that no scheduler design removes. Modes, interleaved per run, each --seconds long (the burst modes
// make the same number of calls): idle (nothing: what the two processes cost per would-be call while waiting),
// timer (the timer alone, no I/O), ping-steady / ping-serial / ping-pipelined (PING), enqueue-steady /
// enqueue-burst (the Redis store's real intake call: one 1 KiB event, a dedup key, 1,000 endpoints in turn; the
// burst enqueues 256 at once, which the store batches into few script calls, as a drain's backlog was enqueued).
// Per mode: CPU µs per call of redis-server (INFO cpu, user + sys; AOF on, everysec) and of this process (the
// client: ioredis, the timers). Medians of --runs.
//   node bench/scheduler/round-trip-floor.mjs [--runs 3] [--seconds 10] [--rate 200]
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createRedisStore } from "@hookyard/scheduler";
import { Redis } from "ioredis";
import { startPrivateRedis } from "../private-redis.mjs";
import { median } from "../stats.mjs";
import { benchEndpoints } from "./store-load.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    rate: { type: "string", default: "200" },
  },
});
const RATE = Number(args.rate);
const CALLS = Math.round(RATE * Number(args.seconds));
const endpoints = benchEndpoints(1000, { policy: DEFAULT_ENDPOINT_POLICY });
const data = JSON.stringify({ pad: "x".repeat(1000) });

const redis = await startPrivateRedis();
const client = new Redis(redis.url);
const store = createRedisStore({ redis: redis.url, prefix: "bench" });
await store.syncEndpoints(endpoints);
let sequence = 0;
const enqueueOne = () => {
  const n = sequence++;
  return store.enqueue({
    envelope: createEnvelope({ id: `m${n}`, source: "bench", type: "t", data }),
    endpointIds: [endpoints[n % endpoints.length].id],
    dedupKey: `bench:o:${n}`,
    dedupTtlMs: 60_000,
    now: Date.now(),
  });
};

/** Calls `call` CALLS times, one every 1/RATE s on a fixed schedule (a late timer does not shift the next ones). */
async function paced(call) {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    await call();
  }
}

const MODES = {
  idle: () => sleep((CALLS * 1000) / RATE),
  timer: () => paced(() => undefined),
  "ping-steady": () => paced(() => client.ping()),
  "ping-serial": async () => {
    for (let i = 0; i < CALLS; i++) await client.ping();
  },
  "ping-pipelined": async () => {
    for (let i = 0; i < CALLS; i += 500) {
      const pipeline = client.pipeline();
      for (let j = i; j < Math.min(CALLS, i + 500); j++) pipeline.ping();
      await pipeline.exec();
    }
  },
  "enqueue-steady": () => paced(enqueueOne),
  "enqueue-burst": async () => {
    for (let i = 0; i < CALLS; i += 256)
      await Promise.all(Array.from({ length: Math.min(256, CALLS - i) }, enqueueOne));
  },
};

async function measure(mode) {
  await sleep(200); // the previous mode's replies and frees settle first
  const redisBefore = await redis.cpuMicros();
  const clientBefore = process.cpuUsage();
  await MODES[mode]();
  const clientCpu = process.cpuUsage(clientBefore);
  const redisCpu = (await redis.cpuMicros()) - redisBefore;
  return { redis: redisCpu / CALLS, client: (clientCpu.user + clientCpu.system) / CALLS };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

console.log(`round-trip floor: ${CALLS} calls per mode, steady at ${RATE}/s; load average ${load()}`);
await Promise.all(Array.from({ length: 512 }, enqueueOne)); // scripts loaded, code warm, connections open
const results = Object.fromEntries(Object.keys(MODES).map((mode) => [mode, []]));
for (let run = 0; run < Number(args.runs); run++) {
  for (const mode of Object.keys(MODES)) {
    const r = await measure(mode);
    results[mode].push(r);
    console.log(`run ${run + 1} ${mode}: redis ${r.redis.toFixed(1)} µs, client ${r.client.toFixed(1)} µs per call`);
  }
}
console.log(`\nCPU µs per call, medians of ${args.runs} runs (load average now ${load()}):`);
console.log(`${"mode".padEnd(16)}${"redis".padStart(10)}${"client".padStart(10)}${"both".padStart(10)}`);
for (const [mode, runs] of Object.entries(results)) {
  const r = median(runs.map((x) => x.redis));
  const c = median(runs.map((x) => x.client));
  console.log(
    `${mode.padEnd(16)}${r.toFixed(1).padStart(10)}${c.toFixed(1).padStart(10)}${(r + c).toFixed(1).padStart(10)}`,
  );
}
await store.close();
client.disconnect();
await redis.stop();
