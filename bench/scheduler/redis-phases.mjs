#!/usr/bin/env node
// Redis's cost per event, phase by phase, without HTTP or a worker: enqueue N messages (one endpoint each, a
// broker-style dedup key), claim them, settle them as delivered, hand the outbox off (take + ack), all through
// the Redis store against a private redis-server (AOF on, everysec). Per phase: commandstats usec of the store's
// calls (wall time inside Redis, scripts' inner calls included), Redis process CPU (INFO cpu used_cpu_user +
// used_cpu_sys: the figure to judge by on a shared machine) and commands (inner calls included), per event.
// Interleaved runs, medians. Where bench/scheduler's end-to-end figure comes from, one phase at a time.
// --callgrind runs redis-server under valgrind's callgrind and adds instructions per event per phase (user space,
// thousands): slow (use --deliveries 4000), but the same on a busy machine as on a quiet one, so it shows what a
// change to a script saves where CPU time cannot (it needs valgrind; the µs columns are meaningless then).
//   node bench/scheduler/redis-phases.mjs [--runs 3] [--deliveries 20000] [--endpoints 1000] [--batch 500]
//   node bench/scheduler/redis-phases.mjs --callgrind --runs 1 --deliveries 4000
// --riding settles each claimed batch with the next claim, both made in the same turn, as the worker does (one
// complete-claim.lua call each): the claim and settle phases become one, "claim+settle"; --batch sets both sizes
// then (e.g. --batch 2 for what a quiet rate looks like).
//   node bench/scheduler/redis-phases.mjs --callgrind --runs 1 --deliveries 4000 --batch 200 [--riding]
// --payload-bytes sets the payload's size (default 1000: a JSON object of ~1 KiB), to see how Redis's cost grows
// with it: every time an envelope enters Lua, Redis's Lua hashes all of its bytes (bench/README.md, "Eleventh pass").
//   node bench/scheduler/redis-phases.mjs --callgrind --runs 1 --deliveries 4000 --payload-bytes 16000
// --full-attempts settles with the attempt record a real HTTP delivery makes (headers, body) instead of a bare one.
// --keep-dumps keeps callgrind's dumps (one per phase, in order) and prints where; --redis-server runs another
// build, e.g. one with symbols so `callgrind_annotate --inclusive=yes <dump>` names functions (bench/README.md).
// Another checkout's store (e.g. main before issue 12, whose settled deliveries stayed in Redis): run a copy of
// this bench/ from a directory that also holds a `node_modules` symlink to that checkout's, built.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";
import { benchEndpoints, enqueueWaves } from "./store-load.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    deliveries: { type: "string", default: "20000" },
    endpoints: { type: "string", default: "1000" },
    batch: { type: "string", default: "500" },
    callgrind: { type: "boolean", default: false },
    riding: { type: "boolean", default: false },
    "keep-dumps": { type: "boolean", default: false },
    "redis-server": { type: "string", default: "redis-server" },
    "payload-bytes": { type: "string", default: "1000" },
    "full-attempts": { type: "boolean", default: false },
  },
});
const N = Number(args.deliveries);
const BATCH = Number(args.batch);
const endpoints = benchEndpoints(Number(args.endpoints));
const data = JSON.stringify({ pad: "x".repeat(Number(args["payload-bytes"])) });
// Each settle's attempt record: a bare one by default (the figures of every pass), or with --full-attempts what the
// HTTP delivery records for a signed POST answered 200 "ok" (~0.5 KB of JSON, which passes through the settle's Lua).
const ATTEMPT = args["full-attempts"]
  ? {
      startedAt: "2026-12-03T10:00:00.000Z",
      durationMs: 12,
      status: 200,
      requestHeaders: {
        "content-type": "application/json",
        "user-agent": "Hookyard/0.1 (+https://github.com/hookyard/hookyard)",
        "webhook-id": "msg_2pVnH3a0X0bq4Yx8fXvYc1qWn7Z",
        "webhook-timestamp": "1764756000",
        "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
      },
      responseHeaders: {
        "content-type": "text/plain; charset=utf-8",
        "content-length": "2",
        date: "Thu, 03 Dec 2026 10:00:00 GMT",
        connection: "keep-alive",
        "keep-alive": "timeout=5",
      },
      responseBody: "ok",
      responseBodyTruncated: false,
    }
  : { startedAt: 3, durationMs: 1, status: 200 };
const callgrindDir = args.callgrind ? mkdtempSync(join(tmpdir(), "hookyard-callgrind-")) : undefined;
const redis = await startPrivateRedis({
  redisServer: args["redis-server"],
  wrapper: callgrindDir
    ? ["valgrind", "--tool=callgrind", "--dump-instr=no", `--callgrind-out-file=${callgrindDir}/cg.%p`]
    : [],
});

/** Instructions redis-server ran since the previous call (callgrind dumps and zeroes its counters). */
function instructionsSinceLast() {
  if (!callgrindDir) return 0;
  execFileSync("callgrind_control", ["-d", String(redis.pid)], { stdio: "ignore" });
  const dumps = readdirSync(callgrindDir).filter((f) => /^cg\.\d+\.\d+$/.test(f));
  const last = dumps.sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2])).at(-1);
  const text = readFileSync(join(callgrindDir, last ?? ""), "utf8");
  return Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
}

// The commands the store sends itself: the scripts (their inner calls are counted in the script's usec, and again
// under their own names, so those are left out), the outbox read the store sends without a script (it was inside
// take-outbox.lua until its records stopped passing through Lua) and the envelope reads after a claim (HGET; claim.lua's
// HGET of each state is then counted twice, inside the script and here: ~0.1 µs per event more than Redis spent).
// Not the envelopes a large enqueue writes ahead of its script (HSET in a MULTI/EXEC with it, since the twelfth pass:
// counted, they would count the script's own HSETs too), nor, under storage format 2 (fifteenth pass), the HMGETs of
// `{hy}:envelopes` after a claim and a take (the scripts' HMGETs would be counted with them): its usec leaves them
// out; the CPU and instruction columns have them. Symbolized callgrind puts the three at ~3.6k instructions per
// event at 1 KiB, ~0.6 µs (bench/README.md, "Fifteenth pass").
const STORE_CALLS = new Set(["fcall", "evalsha", "eval", "xreadgroup", "hget"]);

async function sample() {
  const text = await redis.admin.info("all");
  const num = (re) => Number(re.exec(text)?.[1] ?? 0);
  let usec = 0;
  let calls = 0;
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (STORE_CALLS.has(m[1])) usec += Number(m[3]);
    if (m[1] !== "info") calls += Number(m[2]);
  }
  const cpu = (num(/^used_cpu_user:([\d.]+)/m) + num(/^used_cpu_sys:([\d.]+)/m)) * 1e6;
  return { usec, calls, cpu, instructions: instructionsSinceLast() };
}

async function oneRun(run) {
  await redis.admin.flushall();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  await redis.admin.config("RESETSTAT");
  const marks = [await sample()];
  await enqueueWaves(store, { count: N, endpoints, data, tag: String(run) });
  marks.push(await sample());
  if (args.riding) await claimAndSettleRiding(store);
  else await claimThenSettle(store);
  // A store from before issue 12 (run through a copy of this bench, see the header) has no outbox to hand off:
  // its hand-off phase is empty.
  for (; store.takeSettled; ) {
    const taken = await store.takeSettled({ consumer: "c", max: 500, reclaimAfterMs: 60_000, now: 5 });
    if (taken.length === 0) break;
    await store.ackSettled(taken);
  }
  marks.push(await sample());
  await store.close();
  const phases = args.riding ? ["enqueue", "claim+settle", "hand-off"] : ["enqueue", "claim", "complete", "hand-off"];
  const out = {};
  phases.forEach((name, i) => {
    const [a, b] = [marks[i], marks[i + 1]];
    out[name] = {
      usec: (b.usec - a.usec) / N,
      cpu: (b.cpu - a.cpu) / N,
      commands: (b.calls - a.calls) / N,
      kinstr: b.instructions / N / 1000,
    };
  });
  const last = marks.length - 1;
  out.total = {
    usec: (marks[last].usec - marks[0].usec) / N,
    cpu: (marks[last].cpu - marks[0].cpu) / N,
    commands: (marks[last].calls - marks[0].calls) / N,
    kinstr: marks.slice(1).reduce((sum, mark) => sum + mark.instructions, 0) / N / 1000,
  };
  return out;

  /** Claims everything, then settles it as delivered, 200 results per call (one mark after each phase). */
  async function claimThenSettle(store) {
    const claimed = [];
    for (let now = 2; claimed.length < N; now++) {
      const { deliveries } = await store.claim({ workerId: "w", max: BATCH, leaseMs: 60_000, now });
      if (deliveries.length === 0) throw new Error(`nothing to claim with ${N - claimed.length} left`);
      claimed.push(...deliveries);
    }
    marks.push(await sample());
    const attempt = ATTEMPT;
    for (let i = 0; i < claimed.length; i += 200) {
      const results = claimed.slice(i, i + 200).map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt }));
      await store.complete("w", results, 4);
    }
    marks.push(await sample());
  }

  /** Each claim of `--batch` carries the settle of the batch before it (same turn: one script call). */
  async function claimAndSettleRiding(store) {
    const attempt = ATTEMPT;
    let previous = [];
    let settled = 0;
    for (let now = 2; settled < N; now++) {
      const results = previous.map((d) => ({
        deliveryId: d.deliveryId,
        kind: "delivered",
        attempt,
        leaseToken: d.leaseToken,
      }));
      const completing = results.length > 0 ? store.complete("w", results, now) : undefined;
      const { deliveries } = await store.claim({ workerId: "w", max: BATCH, leaseMs: 60_000, now });
      await completing;
      settled += results.length;
      if (deliveries.length === 0 && results.length === 0) throw new Error(`nothing to claim with ${N - settled} left`);
      previous = deliveries;
    }
    marks.push(await sample());
  }
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `${N} events over ${endpoints.length} endpoints, ${data.length} B payloads; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const runs = [];
for (let run = 0; run < Number(args.runs); run++) {
  const r = await oneRun(run);
  runs.push(r);
  console.log(
    `run ${run + 1}: ${Object.entries(r)
      .map(([k, v]) => `${k} ${v.usec.toFixed(1)} usec / ${v.cpu.toFixed(1)} cpu / ${v.commands.toFixed(2)} cmds`)
      .join("; ")}`,
  );
}
console.log(
  `\nper event, medians of ${runs.length} runs (load average now ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}):`,
);
console.log(`phase      usec (commandstats)  Redis CPU µs  commands${callgrindDir ? "  k instructions" : ""}`);
for (const name of Object.keys(runs[0])) {
  const m = (key) => median(runs.map((r) => r[name][key]));
  const instructions = callgrindDir ? m("kinstr").toFixed(1).padStart(16) : "";
  console.log(
    `${name.padEnd(10)} ${m("usec").toFixed(1).padStart(19)} ${m("cpu").toFixed(1).padStart(13)} ${m("commands").toFixed(2).padStart(9)}${instructions}`,
  );
}
await redis.stop();
if (callgrindDir && args["keep-dumps"]) console.log(`callgrind dumps (one per phase, in order): ${callgrindDir}`);
else if (callgrindDir) rmSync(callgrindDir, { recursive: true, force: true });
