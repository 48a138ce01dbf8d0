#!/usr/bin/env node
// The history hand-off draining a backlog: how fast one drainer empties a full outbox into PostgreSQL (what
// bounds how long the history lags behind the deliveries after a burst, or after PostgreSQL comes back). Build
// first: npx turbo run build --filter=@hookyard/scheduler
// Usage: node bench/history/handoff-bench.mjs [--runs 3] [--records 20000] [--batch 500]
// A Redis and a PostgreSQL of its own (CPU counted for the bench alone). Per run: settles `records` deliveries
// (one endpoint, ~100 B payload, a 200 attempt each) into the outbox, then times one hand-off's drain(). Prints
// per run and medians: records/s, and CPU per record of the drainer process, Redis (INFO used_cpu_*) and
// PostgreSQL (every backend, from /proc).
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createEnvelope } from "@hookyard/core";
import { createPostgresHistoryStore } from "@hookyard/history";
import { createHistoryHandoff, createRedisStore } from "@hookyard/scheduler";
import { startPrivatePostgres } from "@hookyard/test-brokers";
import { startPrivateRedis } from "../private-redis.mjs";
import { median } from "../stats.mjs";
import { postgresCpuMs } from "./postgres-cpu.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    records: { type: "string", default: "20000" },
    batch: { type: "string", default: "500" },
  },
});
const RUNS = Number(args.runs);
const RECORDS = Number(args.records);
const BATCH = Number(args.batch);
const SETTLE_CHUNK = 1000;

const redis = await startPrivateRedis();
const postgres = await startPrivatePostgres({ settings: ["shared_buffers=256MB", "max_wal_size=2GB"] });

async function redisCpuMs() {
  const info = await redis.admin.info("cpu");
  const value = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (value("used_cpu_user") + value("used_cpu_sys")) * 1000;
}

/** Fills the outbox: `RECORDS` deliveries enqueued, claimed and settled as delivered. */
async function settle(store, endpointId) {
  for (let done = 0; done < RECORDS; done += SETTLE_CHUNK) {
    const now = Date.now();
    const n = Math.min(SETTLE_CHUNK, RECORDS - done);
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.enqueue({
          envelope: createEnvelope({
            id: `evt-${done + i}`,
            source: "bench",
            type: "bench.handoff",
            data: JSON.stringify({ id: done + i, note: "x".repeat(80) }),
          }),
          endpointIds: [endpointId],
          now,
        }),
      ),
    );
    const { deliveries } = await store.claim({ workerId: "w", max: n, leaseMs: 60_000, now });
    const attempt = { startedAt: new Date(now).toISOString(), durationMs: 3, status: 200 };
    await store.complete(
      "w",
      deliveries.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt })),
      now,
    );
  }
}

async function oneRun(run) {
  const prefix = `hb${run}-${randomBytes(3).toString("hex")}`;
  const schema = `hy_bench_h_${randomBytes(4).toString("hex")}`;
  const store = createRedisStore({ redis: redis.url, prefix });
  const history = await createPostgresHistoryStore({ url: postgres.url, schema, poolSize: 2 });
  await history.maintain(Date.now());
  const endpointId = "bench-ep";
  await store.syncEndpoints([
    {
      id: endpointId,
      url: "http://127.0.0.1:9/",
      owner: "bench",
      secrets: [],
      headers: {},
      enabled: true,
      policy: {
        retry: { scheduleMs: [0], jitter: 0, maxRetryAfterMs: 0, minThrottleDelayMs: 0, maxAgeMs: 86_400_000 },
        breaker: { windowMs: 60_000, minRequests: 1e9, failureRate: 1, cooldownMs: 1000, disableAfterMs: 0 },
        concurrency: RECORDS,
        orderedByKey: false,
        timeoutMs: 1000,
      },
    },
  ]);
  await settle(store, endpointId);
  const { records, shed } = await store.outboxStats();
  const handoff = createHistoryHandoff({ store, history, ownerOf: () => "bench", batchSize: BATCH });
  const before = { drainer: process.cpuUsage(), redis: await redisCpuMs(), pg: postgresCpuMs(postgres.dataDir) };
  const started = performance.now();
  const written = await handoff.drain();
  const seconds = (performance.now() - started) / 1000;
  const drainer = process.cpuUsage(before.drainer);
  const result = {
    run,
    outbox: records,
    shed,
    written,
    perSecond: Math.round(written / seconds),
    drainerUs: Math.round((drainer.user + drainer.system) / written),
    redisUs: Math.round(((await redisCpuMs()) - before.redis) * (1000 / written)),
    postgresUs: Math.round((postgresCpuMs(postgres.dataDir) - before.pg) * (1000 / written)),
  };
  await handoff.stop();
  await store.close();
  await history.close();
  await redis.admin.flushall();
  return result;
}

try {
  console.log(`hand-off drain bench: ${RECORDS} records, batch ${BATCH}, load ${loadavg().map((l) => l.toFixed(2))}`);
  const results = [];
  for (let run = 1; run <= RUNS; run++) {
    const result = await oneRun(run);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  const m = (key) => median(results.map((r) => r[key]));
  console.log(
    `median: ${m("perSecond")} records/s; CPU per record: drainer ${m("drainerUs")} µs, Redis ${m("redisUs")} µs, ` +
      `PostgreSQL ${m("postgresUs")} µs (load after: ${loadavg().map((l) => l.toFixed(2))})`,
  );
} finally {
  await redis.stop();
  await postgres.destroy();
}
