#!/usr/bin/env node
// The admin API's and dashboard's history queries over a generated history (10,000,000 deliveries by default),
// through the PostgreSQL history store, as the admin routes call it. Generate the data first:
//   node bench/history/generate-history.mjs            # schema hy_bench_10m, ~10 M rows
// Usage: node bench/history/query-bench.mjs [--schema hy_bench_10m] [--runs 3] [--samples 20]
// Each run takes `samples` calls of every query, interleaved round-robin with random parameters (endpoints hot
// and cold, owners, types, customers, time windows), on a pool of 4 connections. Prints per query p50, p95 and
// max over all samples, and the median of the runs' p95s.
import { parseArgs } from "node:util";
import { createPostgresHistoryStore } from "@hookyard/history";
import { requireBrokers } from "@hookyard/test-brokers";
import pg from "pg";
import { median, percentile } from "../stats.mjs";

const { values: args } = parseArgs({
  options: {
    schema: { type: "string", default: "hy_bench_10m" },
    runs: { type: "string", default: "3" },
    samples: { type: "string", default: "20" },
  },
});
const url = process.env.HOOKYARD_POSTGRES_URL ?? requireBrokers("postgres").postgresUrl;
const HOUR = 60 * 60 * 1000;
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const int = (n) => Math.floor(Math.random() * n);
const hot = () => `ep-${int(20)}`;
const cold = () => `ep-${900 + int(100)}`;

const admin = new pg.Client({ connectionString: url });
await admin.connect();
const { rows: counts } = await admin.query(`SELECT count(*)::int AS n FROM ${args.schema}.deliveries`);
const { rows: latest } = await admin.query(
  `SELECT (extract(epoch from max(created_at)) * 1000)::float8 AS t FROM ${args.schema}.deliveries`,
);
// Real ids and event ids to look up (detail pages, event search).
const { rows: sample } = await admin.query(
  `SELECT delivery_id, event_id FROM ${args.schema}.deliveries TABLESAMPLE SYSTEM (0.01) LIMIT 500`,
);
await admin.end();
const newest = latest[0].t;
const store = await createPostgresHistoryStore({ url, schema: args.schema, poolSize: 4, migrate: false });

async function secondPage(query) {
  const first = await store.queryDeliveries(query);
  return store.queryDeliveries({ ...query, cursor: first.nextCursor });
}

/** The dashboard's and admin API's calls: name → a call with fresh random parameters. */
const QUERIES = {
  "list (all, newest 50)": () => store.queryDeliveries({ limit: 50 }),
  "list page 2 (cursor)": () => secondPage({ limit: 50 }),
  "endpoint hot": () => store.queryDeliveries({ endpointIds: [hot()], limit: 50 }),
  "endpoint cold": () => store.queryDeliveries({ endpointIds: [cold()], limit: 50 }),
  "endpoint cold page 2": () => secondPage({ endpointIds: [cold()], limit: 50 }),
  "owner (portal)": () => store.queryDeliveries({ owner: `owner-${int(100)}`, limit: 50 }),
  "owner's 10 endpoints": () =>
    store.queryDeliveries({ endpointIds: Array.from({ length: 10 }, (_, i) => `ep-${int(10) * 100 + i}`), limit: 50 }),
  "status dead": () => store.queryDeliveries({ status: "dead", limit: 50 }),
  "status dead + owner": () => store.queryDeliveries({ status: "dead", owner: `owner-${int(100)}`, limit: 50 }),
  "type exact": () =>
    store.queryDeliveries({ type: pick(["refund.failed", "dispute.deleted", "invoice.paid"]), limit: 50 }),
  "type glob": () => store.queryDeliveries({ type: pick(["payout.*", "dispute.*", "invoice.**"]), limit: 50 }),
  "type glob + endpoint cold": () => store.queryDeliveries({ type: "dispute.*", endpointIds: [cold()], limit: 50 }),
  "event id": () => store.queryDeliveries({ eventId: pick(sample).event_id, limit: 50 }),
  "time window 1h": () => {
    const before = newest - int(60) * HOUR;
    return store.queryDeliveries({ from: before - HOUR, before, limit: 50 });
  },
  "time window 1h + endpoint cold": () => {
    const before = newest - int(60) * HOUR;
    return store.queryDeliveries({ endpointIds: [cold()], from: before - HOUR, before, limit: 50 });
  },
  "payload customer": () =>
    store.queryDeliveries({ payloadContains: { data: { customer: { id: `cus_${int(100_000)}` } } }, limit: 50 }),
  "payload customer + endpoint hot": () =>
    store.queryDeliveries({
      endpointIds: [hot()],
      payloadContains: { data: { customer: { id: `cus_${int(100_000)}` } } },
      limit: 50,
    }),
  "payload common (currency)": () =>
    store.queryDeliveries({ payloadContains: { data: { currency: "gbp" } }, limit: 50 }),
  "detail + attempts": async () => {
    const id = pick(sample).delivery_id;
    return Promise.all([store.getDelivery(id), store.listAttempts(id)]);
  },
  "dead letters of endpoint": () => store.listDeadLetters(pick([hot(), cold()]), { limit: 50 }),
  "health sample (200)": () => store.queryDeliveries({ endpointIds: [pick([hot(), cold()])], limit: 200 }),
  "chart sample (5 × 200)": async () => {
    let cursor;
    for (let page = 0; page < 5; page++) {
      const result = await store.queryDeliveries({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      cursor = result.nextCursor;
    }
  },
};

console.log(
  `history query bench: ${counts[0].n} deliveries in schema ${args.schema}, newest ${new Date(newest).toISOString()}`,
);
const names = Object.keys(QUERIES);
const all = Object.fromEntries(names.map((n) => [n, []]));
const runP95 = Object.fromEntries(names.map((n) => [n, []]));
// Warm-up: one call of each (plans, connections), not counted.
for (const name of names) await QUERIES[name]();
for (let run = 0; run < Number(args.runs); run++) {
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let s = 0; s < Number(args.samples); s++) {
    for (const name of names) {
      const started = performance.now();
      await QUERIES[name]();
      times[name].push(performance.now() - started);
    }
  }
  for (const name of names) {
    all[name].push(...times[name]);
    runP95[name].push(percentile(times[name], 95));
  }
}
await store.close();
const pad = Math.max(...names.map((n) => n.length));
console.log(`${"query".padEnd(pad)}  p50 ms  p95 ms  max ms  median of runs' p95`);
for (const name of names) {
  const t = all[name];
  console.log(
    `${name.padEnd(pad)}  ${percentile(t, 50).toFixed(1).padStart(6)}  ${percentile(t, 95).toFixed(1).padStart(6)}  ` +
      `${Math.max(...t)
        .toFixed(1)
        .padStart(6)}  ${median(runP95[name]).toFixed(1).padStart(6)}`,
  );
}
const everything = names.flatMap((n) => all[n]);
console.log(
  `all queries: p50 ${percentile(everything, 50).toFixed(1)} ms, p95 ${percentile(everything, 95).toFixed(1)} ms`,
);
