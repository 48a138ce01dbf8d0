#!/usr/bin/env node
// Benchmark of the delivery log (admin API's list and search) with 1,000,000 deliveries stored in Redis.
// Build first: npx turbo run build --filter=@hookyard/scheduler
// Usage: node bench/admin/delivery-log-bench.mjs [--deliveries 1000000] [--runs 7] [--settle 0.2]
// Starts a private redis-server (temp dir, free port, no persistence: this measures reads), loads the
// deliveries through the store API (enqueue fanned out to 10 endpoints per event, pipelined), settles a share
// of them (claim + complete: 95% delivered, 5% dead), then times each query shape (page of 50, newest first)
// `runs` times and prints the median and the worst.
import { parseArgs } from "node:util";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";

const { values: args } = parseArgs({
  options: {
    deliveries: { type: "string", default: "1000000" },
    runs: { type: "string", default: "7" },
    settle: { type: "string", default: "0.2" },
    "redis-server": { type: "string", default: process.env.HOOKYARD_REDIS_SERVER ?? "/usr/bin/redis-server" },
  },
});
const TOTAL = Number(args.deliveries);
const RUNS = Number(args.runs);
const FAN_OUT = 10;
const ENDPOINTS = 100;
const OWNERS = 20;
const TYPES = [
  "order.created",
  "order.paid",
  "order.shipped",
  "invoice.created",
  "invoice.paid",
  "user.created",
  "user.deleted",
  "refund.created",
  "payout.sent",
  "dispute.opened",
];

// No persistence: this measures reads.
const redis = await startPrivateRedis({ redisServer: args["redis-server"], aof: false });
process.on("exit", () => redis.killNow()); // also when the bench fails half-way
const admin = redis.admin;

const store = createRedisStore({ redis: redis.url, prefix: "bench", connectWaitMs: 10_000 });
const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({
  id: `ep-${String(i).padStart(3, "0")}`,
  owner: `owner-${i % OWNERS}`,
  url: `https://hooks.example.com/${i}`,
  secrets: [],
  headers: {},
  enabled: true,
  policy: { ...DEFAULT_ENDPOINT_POLICY, concurrency: 100_000 },
}));
await store.syncEndpoints(endpoints);

// Load: events fanned out to FAN_OUT consecutive endpoints; time advances 1 ms per 20 events (a spread of hours).
const t0 = Date.now() - 3 * 3600_000;
const events = Math.ceil(TOTAL / FAN_OUT);
const loadStart = performance.now();
const sampleEventIds = [];
const INFLIGHT = 256;
let next = 0;
async function loader() {
  while (next < events) {
    const n = next++;
    const first = (n * 7) % ENDPOINTS;
    const targets = Array.from({ length: FAN_OUT }, (_, k) => endpoints[(first + k) % ENDPOINTS].id);
    const id = `evt-${n}`;
    if (n % 9973 === 0) sampleEventIds.push(id);
    await store.enqueue({
      envelope: createEnvelope({
        id,
        source: "bench",
        type: TYPES[n % TYPES.length],
        data: `{"n":${n},"amount":${n % 1000}}`,
      }),
      endpointIds: targets,
      now: t0 + Math.floor(n / 20),
    });
  }
}
await Promise.all(Array.from({ length: INFLIGHT }, loader));
const loadSeconds = (performance.now() - loadStart) / 1000;
console.log(
  `loaded ${events * FAN_OUT} deliveries (${events} events x ${FAN_OUT}) in ${loadSeconds.toFixed(1)} s (${Math.round((events * FAN_OUT) / loadSeconds)}/s)`,
);

// Settle a share (the oldest ones: claims go by due time): 95% delivered, 5% dead.
const toSettle = Math.floor(events * FAN_OUT * Number(args.settle));
const settleStart = performance.now();
let settled = 0;
const now = t0 + events;
while (settled < toSettle) {
  const { deliveries } = await store.claim({ workerId: "bench", max: 1000, leaseMs: 600_000, now });
  if (deliveries.length === 0) break;
  await store.complete(
    "bench",
    deliveries.map((d, i) =>
      (settled + i) % 20 === 0
        ? {
            deliveryId: d.deliveryId,
            kind: "dead",
            reason: "retries exhausted after 10 attempts",
            attempt: { startedAt: new Date(now).toISOString(), durationMs: 80, status: 500, errorClass: "http_status" },
          }
        : {
            deliveryId: d.deliveryId,
            kind: "delivered",
            attempt: { startedAt: new Date(now).toISOString(), durationMs: 40 + (i % 60), status: 200 },
          },
    ),
    now,
  );
  settled += deliveries.length;
}
console.log(`settled ${settled} deliveries in ${((performance.now() - settleStart) / 1000).toFixed(1)} s`);
const memory = (await admin.info("memory")).match(/used_memory_human:(\S+)/)?.[1];
console.log(`redis used_memory ${memory}, ${await admin.dbsize()} keys`);

const owner3 = endpoints.filter((e) => e.owner === "owner-3").map((e) => e.id);
const mid = t0 + Math.floor(events / 40);
const queries = {
  "latest 50 (no filter)": () => ({}),
  "by endpoint": (r) => ({ endpointIds: [endpoints[r % ENDPOINTS].id] }),
  "by owner (5 endpoints)": () => ({ endpointIds: owner3 }),
  "by event id": (r) => ({ eventId: sampleEventIds[r % sampleEventIds.length] }),
  "by type": (r) => ({ type: TYPES[r % TYPES.length] }),
  "by status dead": () => ({ status: "dead" }),
  "by status delivered + endpoint": (r) => ({ status: "delivered", endpointIds: [endpoints[r % ENDPOINTS].id] }),
  "by time range (1 min)": () => ({ from: mid, before: mid + 60_000 }),
  "type + endpoint + time range": (r) => ({
    type: TYPES[r % TYPES.length],
    endpointIds: [endpoints[(r * 3) % ENDPOINTS].id],
    from: mid - 600_000,
    before: mid + 600_000,
  }),
  "page 20 deep by endpoint (cursor)": null,
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [name, make] of Object.entries(queries)) {
  const times = [];
  let returned = 0;
  let scanned = 0;
  for (let r = 0; r < RUNS; r++) {
    if (make === null) {
      // Follow the cursor 20 pages deep; time the 20th page.
      let cursor;
      for (let p = 0; p < 19; p++)
        cursor = (await store.queryDeliveries({ endpointIds: [endpoints[r].id], limit: 50, cursor })).nextCursor;
      const start = performance.now();
      const page = await store.queryDeliveries({ endpointIds: [endpoints[r].id], limit: 50, cursor });
      times.push(performance.now() - start);
      returned = page.deliveries.length;
      scanned = page.scanned;
      continue;
    }
    const start = performance.now();
    const page = await store.queryDeliveries({ limit: 50, ...make(r) });
    times.push(performance.now() - start);
    returned = page.deliveries.length;
    scanned = page.scanned;
  }
  rows.push({ name, median: median(times), max: Math.max(...times), returned, scanned });
}
console.log(`\n${events * FAN_OUT} deliveries stored; page size 50; ${RUNS} runs each`);
console.log("| query | median ms | max ms | returned | index entries examined |");
console.log("|---|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(`| ${row.name} | ${row.median.toFixed(1)} | ${row.max.toFixed(1)} | ${row.returned} | ${row.scanned} |`);
}
const worst = Math.max(...rows.map((r) => r.median));
console.log(`\nworst median ${worst.toFixed(1)} ms (target <= 200 ms): ${worst <= 200 ? "OK" : "OVER"}`);
await store.close();
await redis.stop();
process.exit(0);
