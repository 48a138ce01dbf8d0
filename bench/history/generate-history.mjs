#!/usr/bin/env node
// Fills a history schema with generated settled deliveries for bench/history/query-bench.mjs, in SQL
// (generate_series): each day's rows go into a standalone table without indexes, then the indexes are built (one
// sorted pass each, several at once), then the tables are ATTACHed as day partitions. Build first:
//   npx turbo run build --filter=@hookyard/history
// Usage: node bench/history/generate-history.mjs [--schema hy_bench_10m] [--delivered 9500000] [--dead 500000]
//          [--parallel 3] [--fresh]
// Resumable: a day table already filled is kept, indexes already built are kept (--fresh starts over).
// The shape: delivered settles spread over the last 3 days, dead letters over the last 30 days; 1,000 endpoints
// with a skewed load (endpoint = 1000·u², so low ids are hot), 100 owners (owner = endpoint mod 100), 40 event
// types in 8 families (skewed too), ~520 B JSON payloads naming one of 100,000 customers, one attempt each with
// the request headers of a signed POST.
import { parseArgs } from "node:util";
import { createPostgresHistoryStore } from "@hookyard/history";
import { requireBrokers } from "@hookyard/test-brokers";
import pg from "pg";

const { values: args } = parseArgs({
  options: {
    schema: { type: "string", default: "hy_bench_10m" },
    delivered: { type: "string", default: "9500000" },
    dead: { type: "string", default: "500000" },
    parallel: { type: "string", default: "3" },
    fresh: { type: "boolean", default: false },
  },
});
const SCHEMA = args.schema;
const DELIVERED = Number(args.delivered);
const DEAD = Number(args.dead);
const url = process.env.HOOKYARD_POSTGRES_URL ?? requireBrokers("postgres").postgresUrl;
const DAY = 24 * 60 * 60 * 1000;
const now = Date.now();
const today = Math.floor(now / DAY) * DAY;

const FAMILIES = ["invoice", "customer", "order", "payment", "subscription", "refund", "payout", "dispute"];
const ACTIONS = ["created", "updated", "paid", "failed", "deleted"];
const TYPES = FAMILIES.flatMap((f) => ACTIONS.map((a) => `${f}.${a}`));

async function connect() {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${SCHEMA}` });
  await client.connect();
  await client.query("SET maintenance_work_mem = '256MB'");
  await client.query("SET max_parallel_maintenance_workers = 0");
  await client.query("SET synchronous_commit = off");
  return client;
}

/** Rows of one day partition: `count` settles of `status` settled uniformly within [from, to). */
function fillSql(table, status, count, from, to, offset) {
  const createdLag = status === "dead" ? "(259200000 + (random() * 3600000)::int8)" : "(random() * 60000)::int8";
  return `
INSERT INTO ${table}
SELECT id, '${status}', settled, settled - ${createdLag} * interval '1 millisecond', 'm' || id,
       'ep-' || ep, 'owner-' || (ep % 100), 'evt_' || n, typ, ${status === "dead" ? 10 : 1},
       ${status === "dead" ? "'retries exhausted: HTTP 500'" : "NULL"}, false,
       json_build_object('id', 'evt_' || n, 'source', 'kafka:billing', 'type', typ,
         'time', to_char(settled AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'contentType', 'application/json', 'headers', json_build_object('ce-source', 'billing')),
       json_build_object('id', 'evt_' || n, 'type', typ, 'created', extract(epoch from settled)::int8,
         'data', json_build_object('object', split_part(typ, '.', 1), 'id', 'obj_' || n,
           'customer', json_build_object('id', 'cus_' || (n % 100000), 'tier', CASE WHEN n % 10 = 0 THEN 'gold' ELSE 'std' END,
             'email', 'user' || (n % 100000) || '@example.com'),
           'amount', (n::int8 * 7919) % 100000, 'currency', (ARRAY['usd', 'eur', 'gbp'])[1 + n % 3],
           'lines', json_build_array(json_build_object('sku', 'sku_' || (n % 500), 'qty', 1 + n % 4)),
           'metadata', json_build_object('orderRef', md5((n + 3)::text), 'channel', (ARRAY['web', 'api', 'pos'])[1 + n % 3]),
           'description', md5(n::text) || md5((n + 1)::text) || md5((n + 2)::text) || md5((n + 4)::text))),
       NULL,
       json_build_object('startedAt', to_char(settled AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'durationMs', 20 + n % 80, 'status', ${status === "dead" ? 500 : 200}),
       json_build_array(json_build_object('attemptId', id || ':1', 'attempt', 1,
         'startedAt', to_char(settled AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'durationMs', 20 + n % 80, 'status', ${status === "dead" ? 500 : 200},
         'requestHeaders', json_build_object('content-type', 'application/json', 'user-agent', 'Hookyard/0.1',
           'webhook-id', 'evt_' || n, 'webhook-timestamp', extract(epoch from settled)::int8::text,
           'webhook-signature', 'v1,' || encode(decode(md5(id), 'hex') || decode(md5(id || 'x'), 'hex'), 'base64')),
         'responseHeaders', json_build_object('content-type', 'text/plain', 'content-length', '2'),
         'responseBody', ${status === "dead" ? "'internal error'" : "'ok'"}))
  FROM (
    SELECT n, lpad(to_hex(n), 10, '0') || 'x' || substr(md5(n::text), 1, 8) AS id,
           floor(1000 * power(random(), 2))::int AS ep,
           (ARRAY[${TYPES.map((t) => `'${t}'`).join(", ")}])[1 + floor(40 * power(random(), 1.5))::int] AS typ,
           timestamptz 'epoch' + (${from} + floor(random() * ${to - from}))::int8 * interval '1 millisecond' AS settled
      FROM generate_series(${offset + 1}, ${offset + count}) AS n
  ) g`;
}

const partitionName = (status, day) =>
  `deliveries_${status}_p${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`;

/** Phase 1: one day's rows into a standalone table (kept when already filled: the generator resumes). */
async function fillDay(client, { status, day, count, from, to, offset }) {
  const name = partitionName(status, day);
  const { rows } = await client.query(
    "SELECT obj_description(c.oid, 'pg_class') AS note FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relname = $2",
    [SCHEMA, name],
  );
  if (rows[0]?.note === "filled") return;
  const started = Date.now();
  await client.query(`DROP TABLE IF EXISTS ${name}`);
  await client.query(
    `CREATE TABLE ${name} (LIKE deliveries_${status} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION INCLUDING STORAGE)`,
  );
  await client.query(fillSql(name, status, count, from, to, offset));
  await client.query(`COMMENT ON TABLE ${name} IS 'filled'`);
  console.log(`${name}: ${count} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Phase 2: the parent's indexes built on each standalone table, one index per job, so that several build at once
 * (ATTACH would build them one partition at a time under the parent's lock); ATTACH then adopts them.
 */
async function indexJobs(client, jobs) {
  const { rows } = await client.query(
    `SELECT c.relname AS parent, i.relname AS name, pg_get_indexdef(i.oid) AS def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
      WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'p'`,
    [SCHEMA],
  );
  return jobs.flatMap(({ status, day }) => {
    const table = partitionName(status, day);
    return rows
      .filter((r) => r.parent === `deliveries_${status}`)
      .map((r) => ({
        table,
        name: `${table}_${r.name}`,
        // ATTACH adopts a primary key only from a primary key constraint, other indexes from a matching index.
        sql: r.name.endsWith("_pkey")
          ? `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '${table}_pkey' AND connamespace = '${SCHEMA}'::regnamespace) THEN
               ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (delivery_id, settled_at, status);
             END IF; END $$`
          : r.def.replace(/^CREATE INDEX \S+ ON ONLY \S+/, `CREATE INDEX IF NOT EXISTS ${table}_${r.name} ON ${table}`),
      }));
  });
}

async function inParallel(items, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(args.parallel) }, async () => {
      const client = await connect();
      try {
        while (next < items.length) await work(client, items[next++]);
      } finally {
        await client.end();
      }
    }),
  );
}

const admin = new pg.Client({ connectionString: url });
await admin.connect();
if (args.fresh) await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
await admin.end();
const store = await createPostgresHistoryStore({
  url,
  schema: SCHEMA,
  retentionMs: 400 * DAY,
  deadLetterRetentionMs: 400 * DAY,
});
await store.close();

// The days to fill, each with its row count and settle-time window (the last day up to now).
const jobs = [];
let offset = 0;
const addDays = (status, days, total) => {
  const start = now - days * DAY;
  for (let day = Math.floor(start / DAY) * DAY; day <= today; day += DAY) {
    const from = Math.max(day, start);
    const to = Math.min(day + DAY, now);
    const count = Math.round((total * (to - from)) / (now - start));
    if (count > 0) jobs.push({ status, day, count, from, to, offset });
    offset += count;
  }
};
addDays("delivered", 3, DELIVERED);
addDays("dead", 30, DEAD);
const started = Date.now();
await inParallel(jobs, fillDay);
console.log(`rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
const setup = await connect();
const indexes = await indexJobs(setup, jobs);
await setup.end();
await inParallel(indexes, async (client, job) => {
  const t = Date.now();
  await client.query(job.sql);
  console.log(`${job.name} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
});
await inParallel(jobs, (client, job) => client.query(`ANALYZE ${partitionName(job.status, job.day)}`));
const attach = await connect();
for (const { status, day } of jobs) {
  const name = partitionName(status, day);
  const { rows } = await attach.query("SELECT 1 FROM pg_inherits WHERE inhrelid = $1::regclass", [name]);
  if (rows.length > 0) continue;
  await attach.query(
    `ALTER TABLE deliveries_${status} ATTACH PARTITION ${name} FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY).toISOString()}')`,
  );
}
await attach.end();
const check = new pg.Client({ connectionString: url });
await check.connect();
const { rows } = await check.query(`SELECT status, count(*)::int AS n FROM ${SCHEMA}.deliveries GROUP BY 1 ORDER BY 1`);
await check.query(`ANALYZE ${SCHEMA}.deliveries`);
await check.end();
console.log(
  `generated ${JSON.stringify(rows)} in ${((Date.now() - started) / 1000).toFixed(0)} s into schema ${SCHEMA}`,
);
