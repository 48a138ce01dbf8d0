#!/usr/bin/env node
// Sustained history writes into PostgreSQL, as the scheduler's outbox drainer does them. Build first:
//   npx turbo run build --filter=@hookyard/history
// Usage: node bench/history/write-bench.mjs [--runs 3] [--records 200000] [--batch 500] [--writers 4]
// Starts a PostgreSQL of its own (the harness's startPrivatePostgres: temp dir, own port, fsync on, shared_buffers 256MB),
// so the CPU counted is the bench's alone. Each run writes into a fresh schema (migrated, today's partitions
// made), dropped afterwards. Prints per run and medians: records/s, PostgreSQL CPU per record (postmaster and
// every child process, from /proc) and the writer's own CPU per record.
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createPostgresHistoryStore } from "@hookyard/history";
import { startPrivatePostgres } from "@hookyard/test-brokers";
import pg from "pg";
import { median } from "../stats.mjs";
import { postgresCpuMs } from "./postgres-cpu.mjs";
import { makeRecords } from "./records.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    records: { type: "string", default: "200000" },
    batch: { type: "string", default: "500" },
    writers: { type: "string", default: "4" },
  },
});
const RUNS = Number(args.runs);
const RECORDS = Number(args.records);
const BATCH = Number(args.batch);
const WRITERS = Number(args.writers);
const server = await startPrivatePostgres({ settings: ["shared_buffers=256MB", "max_wal_size=2GB"] });
const { url } = server;

async function sql(text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function oneRun(run) {
  const schema = `hy_bench_w_${randomBytes(4).toString("hex")}`;
  const now = Date.now();
  const store = await createPostgresHistoryStore({ url, schema, poolSize: WRITERS });
  await store.maintain(now);
  const records = makeRecords(`r${run}-`, 0, RECORDS, now);
  const batches = [];
  for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
  // Warm up: prepared statements on every pooled connection, partitions known.
  await Promise.all(Array.from({ length: WRITERS }, (_, i) => store.write({ deliveries: batches[i] ?? [] })));
  let next = WRITERS;
  const written = batches.slice(0, WRITERS).reduce((n, b) => n + b.length, 0);
  const pgBefore = postgresCpuMs(server.dataDir);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await store.write({ deliveries: batch });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const pgMs = postgresCpuMs(server.dataDir) - pgBefore;
  const measured = RECORDS - written;
  const { rows } = await sql(
    `SELECT count(*)::int AS d, sum(json_array_length(attempt_log))::int AS a FROM "${schema}".deliveries`,
  );
  await store.close();
  await sql(`DROP SCHEMA "${schema}" CASCADE`);
  if (rows[0].d !== RECORDS || rows[0].a !== RECORDS) throw new Error(`stored ${rows[0].d}/${rows[0].a} of ${RECORDS}`);
  return {
    perSecond: measured / seconds,
    pgUsPerRecord: (pgMs * 1000) / measured,
    nodeUsPerRecord: (cpu.user + cpu.system) / measured,
  };
}

console.log(
  `history write bench: ${RECORDS} records (1 KiB JSON payload, 1 attempt each), batches of ${BATCH}, ` +
    `${WRITERS} writers; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`,
);
const results = [];
for (let run = 1; run <= RUNS; run++) {
  const r = await oneRun(run);
  results.push(r);
  console.log(
    `run ${run}: ${Math.round(r.perSecond)} records/s, PostgreSQL ${r.pgUsPerRecord.toFixed(1)} µs CPU/record, ` +
      `writer ${r.nodeUsPerRecord.toFixed(1)} µs CPU/record`,
  );
}
await server.destroy();
const pick = (key) => median(results.map((r) => r[key]));
console.log(
  `median of ${RUNS}: ${Math.round(pick("perSecond"))} records/s, PostgreSQL ${pick("pgUsPerRecord").toFixed(1)} µs ` +
    `CPU/record, writer ${pick("nodeUsPerRecord").toFixed(1)} µs CPU/record`,
);
