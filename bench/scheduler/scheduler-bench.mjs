#!/usr/bin/env node
// Benchmark of the egress engine: Redis store + worker + @hookyard/delivery, all co-located. Build first:
//   npx turbo run build --filter=@hookyard/scheduler --filter=@hookyard/delivery
// Usage: node bench/scheduler/scheduler-bench.mjs [--runs 3] [--only drain,isolation,rate,tracing]
//          [--deliveries 100000] [--endpoints 1000] [--max-in-flight 500] [--rate 500] [--seconds 12]
//          [--tracing off,off+tp,0.01,1]   (the tracing scenario's variants: off; off with events that carry a
//          producer's traceparent, passed through; or a sampled share of traces; sdk-only: the SDK started at
//          1 % but not given to the delivery client)
// Starts a private redis-server (AOF on, appendfsync everysec, temp dir, free port), a receiver process (one
// keep-alive node:http server per endpoint) and, per run, a fresh worker process. Prints medians and spread.
// See bench/README.md for what each figure means.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { generateSecret } from "@hookyard/delivery";
import { createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";
import { createRunQueueProbe } from "./run-queue-wait.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    only: { type: "string", default: "drain,isolation,rate" },
    // bad: issue 14's isolation runs (all healthy, 50 bad, 200 bad, 50 answering 429) and steady: CPU per
    // delivery at --steady-rate vs a drain of --deliveries; not in the default set.
    "steady-rate": { type: "string", default: "200" },
    // which of the bad runs, e.g. healthy,throttle50 to compare two with more runs in the same time
    scenarios: { type: "string", default: "healthy,bad50,bad200,throttle50" },
    deliveries: { type: "string", default: "100000" },
    endpoints: { type: "string", default: "1000" },
    "max-in-flight": { type: "string", default: "500" },
    rate: { type: "string", default: "500" },
    seconds: { type: "string", default: "12" },
    "idle-seconds": { type: "string", default: "10" },
    "rate-limit": { type: "string", default: "50" },
    burst: { type: "string", default: "1" },
    tracing: { type: "string", default: "off,off+tp,0.01,1" },
    "redis-server": { type: "string", default: process.env.HOOKYARD_REDIS_SERVER ?? "/usr/bin/redis-server" },
  },
});
const RUNS = Number(args.runs);
const ONLY = new Set(args.only.split(","));
const DELIVERIES = Number(args.deliveries);
const ENDPOINTS = Number(args.endpoints);
const MAX_IN_FLIGHT = Number(args["max-in-flight"]);
const LOAD_RATE = Number(args.rate);
const LOAD_SECONDS = Number(args.seconds);
const IDLE_SECONDS = Number(args["idle-seconds"]);
const WARM_UP_MS = 2000;
const RATE_LIMIT = Number(args["rate-limit"]);
const STEADY_RATE = Number(args["steady-rate"]);
const BURST = Number(args.burst);
const here = new URL(".", import.meta.url);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A 1 KiB JSON payload.
const PAYLOAD = (() => {
  const base = { type: "invoice.paid", data: { invoice: "in_1PqRsT", customer: "cus_9XyZ", amount: 4200 } };
  const pad = 1024 - JSON.stringify({ ...base, pad: "" }).length;
  return JSON.stringify({ ...base, pad: "x".repeat(pad) });
})();

// ---------------------------------------------------------------------------------------------------------------
// processes

/** Asks a child process and waits for its reply; fails, naming how it ended, when the child exits first. */
function request(child, message, replyType) {
  return new Promise((resolve, reject) => {
    const done = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (reply) => {
      if (reply.type !== replyType) return;
      done();
      resolve(reply);
    };
    const onExit = (code, signal) => {
      done();
      reject(
        new Error(`the bench's child ${child.pid} exited (${signal ?? `status ${code}`}) before its ${replyType}`),
      );
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      onExit(child.exitCode, child.signalCode);
      return;
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.send(message);
  });
}

async function startReceiver(count) {
  const child = fork(new URL("receiver.mjs", here), [String(count)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [ready] = await once(child, "message");
  return {
    ports: ready.ports,
    mode: (mode) => request(child, { type: "mode", ...mode }, "ok"),
    stats: () => request(child, { type: "stats" }, "stats"),
    stop: () => child.send({ type: "exit" }),
    pid: child.pid,
  };
}

const workers = new Set();

async function startWorker(redisUrl, endpoints, tracing, warmup = 0) {
  // HOOKYARD_BENCH_WORKER_ARGS: extra node flags for the worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const execArgv = (process.env.HOOKYARD_BENCH_WORKER_ARGS ?? "").split(" ").filter(Boolean);
  const child = fork(new URL("worker-main.mjs", here), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv,
  });
  await once(child, "message");
  workers.add(child);
  const exited = once(child, "exit").then(() => workers.delete(child));
  return {
    pid: child.pid,
    start: () =>
      child.send({
        type: "start",
        redisUrl,
        endpoints,
        maxInFlight: MAX_IN_FLIGHT,
        warmup,
        ...(tracing ? { tracing } : {}),
      }),
    report: () => request(child, { type: "report" }, "report"),
    async stop() {
      child.send({ type: "stop" });
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function endpointsFor(ports, overrides = {}) {
  return ports.map((port, i) => ({
    id: `ep-${String(i).padStart(4, "0")}`,
    url: `http://127.0.0.1:${port}/hooks`,
    owner: "bench",
    secrets: [{ secret: generateSecret() }],
    headers: {},
    enabled: true,
    policy: { ...DEFAULT_ENDPOINT_POLICY, ...(overrides[i] ?? {}) },
  }));
}

async function commandStats(admin) {
  const text = await admin.info("commandstats");
  const stats = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[match[1]] = Number(match[2]);
  delete stats.info;
  delete stats["config|resetstat"];
  return stats;
}
async function redisCpuMicros(admin) {
  const text = await admin.info("cpu");
  const field = (name) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(text)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
}
/** Read events Redis processed (one per read of a client connection: commands sent together count once). */
async function redisReads(admin) {
  const text = await admin.info("stats");
  return Number(/^total_reads_processed:(\d+)/m.exec(text)?.[1] ?? 0);
}
/** Per command: calls and usec (µs Redis spent in it; a script's usec includes its inner calls). */
async function commandUsec(admin) {
  const text = await admin.info("commandstats");
  const usec = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) usec[match[1]] = Number(match[2]);
  return usec;
}
/**
 * Redis's own time in the store's calls: its scripts (inner calls included, counted once) and the outbox read the
 * hand-off sends without a script (XREADGROUP, no longer called from Lua).
 */
const scriptUsec = (usec) => (usec.fcall ?? 0) + (usec.evalsha ?? 0) + (usec.eval ?? 0) + (usec.xreadgroup ?? 0);
async function usedMemory(admin) {
  const text = await admin.info("memory");
  return Number(/^used_memory:(\d+)/m.exec(text)?.[1] ?? 0);
}
/**
 * used_memory once Redis has had the time to shrink its hash tables after a mass delete (its cron, at hz 10,
 * resizes and rehashes them bit by bit): read every 200 ms until it stops falling (within 1 KB), at most 10 s.
 */
async function settledMemory(admin) {
  let last = await usedMemory(admin);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await usedMemory(admin);
    if (Math.abs(now - last) <= 1024) return now;
    last = now;
  }
  return last;
}
async function deleteMatching(admin, pattern) {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await admin.del(...keys); // DEL, not UNLINK: freed before used_memory is read
  } while (cursor !== "0");
  return deleted;
}
const sum = (stats) => Object.values(stats).reduce((a, b) => a + b, 0);
const roundTrips = (stats) => (stats.fcall ?? 0) + (stats.evalsha ?? 0) + (stats.eval ?? 0) + (stats.xreadgroup ?? 0);

async function enqueueAll(store, count, idOf, endpointOf, window = 256, dedup = false, traceOf = () => undefined) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const traceparent = traceOf(i);
      const envelope = createEnvelope({
        id: idOf(i),
        source: "bench",
        type: "invoice.paid",
        data: PAYLOAD,
        ...(traceparent === undefined ? {} : { traceparent }),
      });
      // dedup: as a broker source enqueues (a key from the message's coordinates, kept 24 h).
      const keyed = dedup ? { dedupKey: `bench:orders:0:${i}`, dedupTtlMs: 24 * 3600_000 } : {};
      await store.enqueue({ envelope, endpointIds: [endpointOf(i)], now: Date.now(), ...keyed });
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}

function summary(values, digits = 0) {
  const sorted = [...values].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const f = (v) => v.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(median)} (${f(sorted[0])} – ${f(sorted[sorted.length - 1])}; runs: ${values.map(f).join(", ")})`;
}

async function waitUntil(what, probe, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// scenarios

async function drainRun(redis, receiver, endpoints, run) {
  await redis.admin.flushall();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  await receiver.mode({});
  const memoryBaseline = await usedMemory(redis.admin);
  await redis.admin.config("RESETSTAT");
  const redisCpuBeforeEnqueue = await redisCpuMicros(redis.admin);
  const enqueueStarted = performance.now();
  await enqueueAll(
    store,
    DELIVERIES,
    (i) => `d${run}-${i}`,
    (i) => endpoints[i % endpoints.length].id,
    256,
    true,
  );
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  const enqueueStats = await commandStats(redis.admin);
  const enqueueUsec = scriptUsec(await commandUsec(redis.admin));
  const redisEnqueueCpu = (await redisCpuMicros(redis.admin)) - redisCpuBeforeEnqueue;
  const memoryQueued = await usedMemory(redis.admin);
  await store.close();

  const worker = await startWorker(redis.url, endpoints);
  const before = await worker.report();
  await redis.admin.config("RESETSTAT");
  const redisCpuBefore = await redisCpuMicros(redis.admin);
  const receiverCpuBefore = (await receiver.stats()).cpuMicros;
  worker.start();
  const report = await waitUntil(
    "the drain",
    async () => {
      const r = await worker.report();
      return r.stored >= DELIVERIES ? r : undefined;
    },
    600_000,
  );
  const stats = await commandStats(redis.admin);
  const redisCpu = (await redisCpuMicros(redis.admin)) - redisCpuBefore;
  const received = await receiver.stats();
  const receiverCpu = received.cpuMicros - receiverCpuBefore;
  // The hand-off: every settled record written to the history store and gone from the outbox.
  const handedOff = await waitUntil(
    "the hand-off to the history store",
    async () => {
      const r = await worker.report();
      const left = await redis.admin.xlen("{bench}:outbox");
      return r.handedOff >= DELIVERIES && left === 0 ? r : undefined;
    },
    600_000,
  );
  const drainUsec = scriptUsec(await commandUsec(redis.admin));
  const redisCpuWithHandoff = (await redisCpuMicros(redis.admin)) - redisCpuBefore;

  // Idle: nothing due; count everything Redis executes for this worker over a window.
  await sleep(1000);
  await redis.admin.config("RESETSTAT");
  await sleep(IDLE_SECONDS * 1000);
  const idleStats = await commandStats(redis.admin);
  await worker.stop();

  // Memory after the drain (worker gone), without the dedup keys, against the same deployment emptied:
  // FLUSHALL keeps the loaded scripts, and the endpoints are synced again (their policies and schedule).
  const memoryDrained = await settledMemory(redis.admin);
  const dedupKeys = await deleteMatching(redis.admin, "{bench}:dedup:*");
  const memoryWithoutDedup = await settledMemory(redis.admin);
  await redis.admin.flushall();
  const empty = createRedisStore({ redis: redis.url, prefix: "bench" });
  await empty.syncEndpoints(endpoints);
  await empty.close();
  const memoryEmpty = await settledMemory(redis.admin);

  const seconds = (report.lastCompleteAt - report.startedAt) / 1000;
  return {
    enqueueRate: DELIVERIES / enqueueSeconds,
    enqueueCommandsPerMessage: sum(enqueueStats) / DELIVERIES,
    rate: report.delivered / seconds,
    handoffRate: handedOff.handedOff / ((handedOff.lastHandoffAt - report.startedAt) / 1000),
    // Redis memory (used_memory): per queued delivery beyond its payload, after the drain, per dedup key.
    // (its dedup key counted apart)
    overheadPerQueuedBytes:
      (memoryQueued - memoryBaseline) / DELIVERIES - PAYLOAD.length - (memoryDrained - memoryWithoutDedup) / dedupKeys,
    bytesPerDedupKey: (memoryDrained - memoryWithoutDedup) / dedupKeys,
    drainedVsBaseline: memoryWithoutDedup / memoryEmpty,
    memoryBaselineMb: memoryBaseline / 2 ** 20,
    memoryQueuedMb: memoryQueued / 2 ** 20,
    memoryDrainedMb: memoryDrained / 2 ** 20,
    // Redis time per event end to end (enqueue + claim + settle + hand-off): commandstats usec of the script calls.
    redisUsecPerEvent: (enqueueUsec + drainUsec) / DELIVERIES,
    redisEnqueueUsecPerEvent: enqueueUsec / DELIVERIES,
    redisProcessCpuUsWithHandoff: redisCpuWithHandoff / DELIVERIES,
    // The same end to end as CPU time of the redis-server process (INFO cpu): what usec measures minus the time
    // Redis was descheduled on a busy machine (usec is wall time), plus its event loop and AOF writes.
    redisProcessCpuUsEndToEnd: (redisEnqueueCpu + redisCpuWithHandoff) / DELIVERIES,
    delivered: report.delivered,
    failed: report.failed,
    received: received.total,
    // CPU per delivery (µs) of each process: unlike rates, barely affected by other load on the machine.
    workerCpuUs: (report.cpuAtLastComplete - report.cpuAtStart) / report.delivered,
    redisCpuUs: redisCpu / report.delivered,
    receiverCpuUs: receiverCpu / report.delivered,
    // What the steady run counts, over the drain: the worker until its last hand-off write and Redis for enqueue,
    // claim, settle and hand-off (the steady run's window includes all of them: it enqueues, and its hand-off runs
    // all along), so the steady / drain ratio compares like with like.
    workerCpuUsWithHandoff:
      (Math.max(handedOff.cpuAtLastComplete, handedOff.cpuAtLastHandoff) - report.cpuAtStart) / report.delivered,
    redisCpuUsEndToEnd: (redisEnqueueCpu + redisCpuWithHandoff) / report.delivered,
    commandsPerDelivery: sum(stats) / report.delivered,
    roundTripsPerDelivery: roundTrips(stats) / report.delivered,
    storeCallsPerDelivery: (report.claims + report.completes + report.extends) / report.delivered,
    deliveriesPerClaim: report.claimed / report.claims,
    resultsPerComplete: report.stored / report.completes,
    rssBeforeMb: before.rss / 2 ** 20,
    peakRssMb: report.peakRss / 2 ** 20,
    peakHeapTotalMb: report.atPeak.heapTotal / 2 ** 20,
    peakHeapUsedMb: report.atPeak.heapUsed / 2 ** 20,
    peakExternalMb: report.atPeak.external / 2 ** 20,
    idleCommandsPerSecond: sum(idleStats) / IDLE_SECONDS,
    idleRoundTripsPerSecond: roundTrips(idleStats) / IDLE_SECONDS,
    stats,
    idleStats,
  };
}

/**
 * The drain with OpenTelemetry. `variant` "off": tracing off, events without a trace context (as before tracing
 * existed); "off+tp": tracing off, every event carrying a producer's traceparent (passed through to the endpoint);
 * a number: tracing on, every event carrying a producer's traceparent sampled for that share of them (as the
 * accept span decides with a ratio sampler), the worker's attempt spans following it, exported over OTLP/HTTP to
 * a collector stand-in in this process (its CPU is not counted; the worker's export work is).
 */
async function tracingRun(redis, receiver, endpoints, run, variant, collectorUrl) {
  const ratio = typeof variant === "number" ? variant : variant === "sdk-only" ? 0.01 : undefined;
  await redis.admin.flushall();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  await receiver.mode({});
  const every = ratio === undefined || ratio === 0 ? 0 : Math.round(1 / ratio);
  const traceOf =
    variant === "off"
      ? () => undefined
      : (i) =>
          `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-${every > 0 && i % every === 0 ? "01" : "00"}`;
  await enqueueAll(
    store,
    DELIVERIES,
    (i) => `t${run}-${variant}-${i}`,
    (i) => endpoints[i % endpoints.length].id,
    256,
    false,
    traceOf,
  );
  await store.close();
  // The first tenth is the warm-up (left out of the figures): code loaded and compiled on first use.
  const worker = await startWorker(
    redis.url,
    endpoints,
    ratio === undefined ? undefined : { url: collectorUrl, ratio, sdkOnly: variant === "sdk-only" },
    Math.floor(DELIVERIES / 10),
  );
  worker.start();
  const report = await waitUntil(
    "the drain",
    async () => {
      const r = await worker.report();
      return r.stored >= DELIVERIES ? r : undefined;
    },
    600_000,
  );
  await worker.stop();
  const measured = report.stored - report.storedAtWarm;
  return {
    rate: measured / ((report.lastCompleteAt - report.warmAt) / 1000),
    workerCpuUs: (report.cpuAtLastComplete - report.cpuAtWarm) / measured,
    failed: report.failed,
  };
}

/** An OTLP/HTTP collector stand-in: reads each export and answers 200 (an empty ExportTraceServiceResponse). */
async function startCollector() {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on("data", (chunk) => {
      bytes += chunk.length;
    });
    request.on("end", () => {
      exports += 1;
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/traces`,
    stats: () => ({ exports, bytes }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Which endpoints misbehave in a load run: the old "degraded" mix, or issue 14's scenarios. */
function scenarioModes(scenario, count) {
  const modes = { failing: [], slow: [], slowMs: 2000, hanging: [], drip: [], throttled: [], tracked: [] };
  const bad = { bad50: 50, bad200: 200, throttle50: 50 }[scenario] ?? 0;
  const step = bad > 0 ? Math.floor(count / bad) : 0;
  for (let i = 0; i < count; i++) {
    if (scenario === "degraded" && i % 100 === 0) modes.failing.push(i);
    else if (scenario === "degraded" && i % 20 === 1) modes.slow.push(i);
    else if (bad > 0 && i % step === 0 && i / step < bad) {
      if (scenario === "throttle50") modes.throttled.push(i);
      else {
        // A mix of hanging, 10 s slow, byte-drip body and 500s.
        const kind = (i / step) % 4;
        [modes.hanging, modes.slow, modes.drip, modes.failing][kind].push(i);
      }
    } else modes.tracked.push(i);
  }
  if (bad > 0) modes.slowMs = 10_000;
  return modes;
}

async function loadRun(redis, receiver, endpoints, scenario, rate = LOAD_RATE) {
  await redis.admin.flushall();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  const modes = scenarioModes(scenario, endpoints.length);
  const { tracked } = modes;
  const worker = await startWorker(redis.url, endpoints);
  worker.start();
  // The first seconds (1,000 new connections, JIT warm-up) are left out of the latency and CPU figures: at least
  // one round over the endpoints (5 s at 200/s), or a connection set-up per delivery is counted as steady cost.
  const warmUpMs = Math.max(WARM_UP_MS, Math.ceil((endpoints.length / rate) * 1000));
  const since = Date.now() + warmUpMs;
  await receiver.mode({ ...modes, since });
  const runQueue = createRunQueueProbe([worker.pid, receiver.pid, redis.pid], since);
  // Open-loop load: `rate` messages/s round-robin over the endpoints, in 10 ms ticks.
  const started = Date.now();
  const isTracked = new Set(tracked);
  let sent = 0;
  let trackedExpected = 0;
  let lastDebug = started;
  const pending = new Set();
  let cpuFrom;
  while (Date.now() - started < LOAD_SECONDS * 1000) {
    if (cpuFrom === undefined && Date.now() - started >= warmUpMs) {
      const [report, receiverStats, redisCpu, reads, commands] = await Promise.all([
        worker.report(),
        receiver.stats(),
        redisCpuMicros(redis.admin),
        redisReads(redis.admin),
        commandStats(redis.admin),
      ]);
      cpuFrom = {
        reads,
        sleeps: report.sleepsNow,
        commands,
        claims: report.claims,
        completes: report.completes,
        worker: report.cpuNow,
        receiver: receiverStats.cpuMicros,
        redis: redisCpu,
        total: receiverStats.total,
      };
    }
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const n = sent;
      if (isTracked.has(n % endpoints.length)) trackedExpected += 1;
      const envelope = createEnvelope({
        id: `e${Date.now()}-${n}`,
        source: "bench",
        type: "invoice.paid",
        data: PAYLOAD,
      });
      const promise = store.enqueue({ envelope, endpointIds: [endpoints[n % endpoints.length].id], now: Date.now() });
      pending.add(promise);
      promise.finally(() => pending.delete(promise));
    }
    await sleep(10);
    runQueue.sample();
    if (process.env.HOOKYARD_BENCH_DEBUG && Date.now() - lastDebug >= 1000) {
      lastDebug = Date.now();
      const { claims, claimed, completes, stored, inFlight } = await worker.report();
      const { total, trackedTotal } = await receiver.stats();
      console.log({ t: lastDebug - started, sent, claims, claimed, completes, stored, inFlight, total, trackedTotal });
    }
  }
  const [report, receiverStats, redisCpu, reads, commands] = await Promise.all([
    worker.report(),
    receiver.stats(),
    redisCpuMicros(redis.admin),
    redisReads(redis.admin),
    commandStats(redis.admin),
  ]);
  // CPU per delivery over the steady part (after the warm-up), all three processes (enqueue included in Redis).
  const arrived = receiverStats.total - cpuFrom.total;
  const cpuUs = {
    worker: (report.cpuNow - cpuFrom.worker) / arrived,
    redis: (redisCpu - cpuFrom.redis) / arrived,
    receiver: (receiverStats.cpuMicros - cpuFrom.receiver) / arrived,
  };
  // Store calls per delivery over the same part: what a quiet rate costs beyond the drain's batches.
  // Redis commands (script calls and their inner calls, enqueue included): work that does not depend on the load.
  const total = (stats) => Object.values(stats).reduce((sum, calls) => sum + calls, 0);
  const callsPerDelivery = {
    claims: (report.claims - cpuFrom.claims) / arrived,
    completes: (report.completes - cpuFrom.completes) / arrived,
    // All clients' (the enqueuer's too, and the bench's own INFO calls: a few per run).
    redisReads: (reads - cpuFrom.reads) / arrived,
    workerSleeps: (report.sleepsNow - cpuFrom.sleeps) / arrived,
    redisCommands: (total(commands) - total(cpuFrom.commands)) / arrived,
    // Script calls (EVALSHA/EVAL): a complete that rode in a claim (complete-claim.lua) is not one of its own.
    scriptCalls: (roundTrips(commands) - roundTrips(cpuFrom.commands)) / arrived,
  };
  await Promise.all(pending);
  // Let the tail arrive, then read the healthy endpoints' latencies.
  await waitUntil("healthy deliveries", async () => (await receiver.stats()).trackedTotal >= trackedExpected, 60_000);
  await sleep(500);
  const stats = await receiver.stats();
  await worker.stop();
  await store.close();
  return {
    sent,
    ...stats.latency,
    runQueueWaitMs: runQueue.summary(),
    byStatus: stats.byStatus,
    cpuUs,
    callsPerDelivery,
    inFlightAtEnd: report.inFlight,
  };
}

async function rateRun(redis, receiver, endpoints, rateIndex) {
  await redis.admin.flushall();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  const count = RATE_LIMIT * 10;
  const target = endpoints[rateIndex].id;
  await enqueueAll(
    store,
    count,
    (i) => `r-${i}`,
    () => target,
    32,
  );
  await receiver.mode({ rateIndex });
  const worker = await startWorker(redis.url, endpoints);
  worker.start();
  const stats = await waitUntil(
    "the rate-limited deliveries",
    async () => {
      const s = await receiver.stats();
      return s.rateTimes.length >= count ? s : undefined;
    },
    (count / RATE_LIMIT) * 1000 + 30_000,
  );
  await worker.stop();
  await store.close();
  const times = stats.rateTimes;
  // Burst 1: the first one goes at once; the rate is measured between the first and the last arrival.
  const observed = (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
  return { observed, errorPct: ((observed - RATE_LIMIT) / RATE_LIMIT) * 100 };
}

// ---------------------------------------------------------------------------------------------------------------

const redis = await startPrivateRedis({ redisServer: args["redis-server"] });
const receiver = await startReceiver(ENDPOINTS + 1);
const endpointPorts = receiver.ports.slice(0, ENDPOINTS);
const ratePort = receiver.ports[ENDPOINTS];
const endpoints = endpointsFor(endpointPorts);
const durability = await createRedisStore({ redis: redis.url, prefix: "bench" });
const warning = (await durability.checkServer()).join("; ");
await durability.close();
console.log(
  `redis ${redis.url} (appendonly yes, appendfsync everysec)${warning ? `; WARNING ${warning}` : ""}; ` +
    `${ENDPOINTS} endpoints (one origin each); payload ${PAYLOAD.length} B; worker maxInFlight ${MAX_IN_FLIGHT}; ` +
    `node ${process.version}; ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);

try {
  if (ONLY.has("drain")) {
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const result = await drainRun(redis, receiver, endpoints, run);
      runs.push(result);
      const { stats, idleStats, ...shown } = result;
      console.log(
        `drain run ${run + 1}:`,
        JSON.stringify(shown, (_, v) => (typeof v === "number" ? +v.toFixed(3) : v)),
      );
      if (run === 0) console.log("  commandstats (drain):", JSON.stringify(stats), "idle:", JSON.stringify(idleStats));
    }
    const pick = (key) => runs.map((r) => r[key]);
    console.log(`\n== drain of ${DELIVERIES.toLocaleString("en")} queued deliveries over ${ENDPOINTS} endpoints`);
    console.log(`enqueue (1 endpoint per message, 256 concurrent): ${summary(pick("enqueueRate"))} /s`);
    console.log(`enqueue commands per message:  ${summary(pick("enqueueCommandsPerMessage"), 2)} (1 round trip each)`);
    console.log(`drain, one worker process:     ${summary(pick("rate"))} deliveries/s`);
    const ceiling = (us) => 1e6 / us;
    console.log(
      `worker CPU per delivery (µs):  ${summary(pick("workerCpuUs"))}; one core's worth: ${summary(pick("workerCpuUs").map(ceiling))} /s`,
    );
    console.log(`redis CPU per delivery (µs):   ${summary(pick("redisCpuUs"))} (process, claim + complete)`);
    console.log(
      `redis µs per event end to end: ${summary(pick("redisUsecPerEvent"), 1)} (commandstats usec of enqueue + claim + complete + hand-off scripts; enqueue alone ${summary(pick("redisEnqueueUsecPerEvent"), 1)})`,
    );
    console.log(
      `redis process CPU per event, drain + hand-off (µs): ${summary(pick("redisProcessCpuUsWithHandoff"), 1)} (enqueue not included)`,
    );
    console.log(
      `redis process CPU per event end to end (µs): ${summary(pick("redisProcessCpuUsEndToEnd"), 1)} (INFO cpu: enqueue + claim + complete + hand-off, AOF writes and event loop included)`,
    );
    console.log(`hand-off to the history store: ${summary(pick("handoffRate"))} records/s`);
    console.log(
      `redis memory: baseline ${summary(pick("memoryBaselineMb"), 2)} MB; ${DELIVERIES.toLocaleString("en")} queued ${summary(pick("memoryQueuedMb"), 1)} MB; drained ${summary(pick("memoryDrainedMb"), 2)} MB (with the dedup keys)`,
    );
    console.log(
      `redis bytes per queued delivery beyond its ${PAYLOAD.length} B payload (and its dedup key): ${summary(pick("overheadPerQueuedBytes"))}; per dedup key: ${summary(pick("bytesPerDedupKey"))}`,
    );
    console.log(
      `redis memory after the drain, dedup keys deleted, / the same deployment emptied (FLUSHALL + endpoints synced): ${summary(pick("drainedVsBaseline"), 3)}`,
    );
    console.log(`receiver CPU per delivery (µs): ${summary(pick("receiverCpuUs"))}`);
    console.log(
      `2 cores' worth for all three:  ${summary(runs.map((r) => 2e6 / (r.workerCpuUs + r.redisCpuUs + r.receiverCpuUs)))} /s`,
    );
    console.log(
      `redis commands per delivery:   ${summary(pick("commandsPerDelivery"), 2)} (scripts' inner calls included)`,
    );
    console.log(`redis round trips per delivery: ${summary(pick("roundTripsPerDelivery"), 3)}`);
    console.log(`deliveries per claim:          ${summary(pick("deliveriesPerClaim"), 1)}`);
    console.log(`results per complete:          ${summary(pick("resultsPerComplete"), 1)}`);
    console.log(
      `worker peak RSS (MB):          ${summary(pick("peakRssMb"), 1)} (idle before start: ${summary(pick("rssBeforeMb"), 1)})`,
    );
    console.log(`idle commands/s (inner incl.): ${summary(pick("idleCommandsPerSecond"), 2)}`);
    console.log(`idle round trips/s:            ${summary(pick("idleRoundTripsPerSecond"), 2)}`);
  }
  if (ONLY.has("isolation")) {
    const healthy = [];
    const degraded = [];
    for (let run = 0; run < RUNS; run++) {
      const h = await loadRun(redis, receiver, endpoints, "healthy");
      console.log(`load run ${run + 1} all healthy:`, JSON.stringify(h));
      healthy.push(h);
      const d = await loadRun(redis, receiver, endpoints, "degraded");
      console.log(`load run ${run + 1} degraded:   `, JSON.stringify(d));
      degraded.push(d);
    }
    console.log(
      `\n== isolation: ${LOAD_RATE}/s for ${LOAD_SECONDS} s over ${ENDPOINTS} endpoints; latency = enqueue → arrival, first ${WARM_UP_MS / 1000} s left out`,
    );
    console.log(`healthy endpoints p50, all healthy:  ${summary(healthy.map((r) => r.p50))} ms`);
    console.log(`healthy endpoints p99, all healthy:  ${summary(healthy.map((r) => r.p99))} ms`);
    console.log(`healthy endpoints p50, 1% 500 + 5% 2 s: ${summary(degraded.map((r) => r.p50))} ms`);
    console.log(`healthy endpoints p99, 1% 500 + 5% 2 s: ${summary(degraded.map((r) => r.p99))} ms`);
    console.log(
      `p99 ratio degraded / healthy (per pair): ${summary(
        degraded.map((r, i) => r.p99 / healthy[i].p99),
        2,
      )}`,
    );
  }
  if (ONLY.has("bad")) {
    // Issue 14: healthy endpoints' latency with bad ones, interleaved runs, medians.
    const scenarios = args.scenarios.split(",");
    const results = Object.fromEntries(scenarios.map((name) => [name, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const name of scenarios) {
        const result = await loadRun(redis, receiver, endpoints, name);
        results[name].push(result);
        console.log(`bad run ${run + 1} ${name}: load ${loadavg()[0].toFixed(1)}`, JSON.stringify(result));
      }
    }
    console.log(
      `\n== isolation (issue 14): ${LOAD_RATE}/s open loop for ${LOAD_SECONDS} s over ${ENDPOINTS} endpoints, maxInFlight ${MAX_IN_FLIGHT}; healthy endpoints' latency = enqueue → arrival, first ${WARM_UP_MS / 1000} s left out`,
    );
    const labels = {
      healthy: "all healthy",
      bad50: "50 bad (hang, 10 s, drip, 500)",
      bad200: "200 bad (same mix)",
      throttle50: "50 answering 429 + Retry-After 2",
    };
    for (const name of scenarios) {
      const runs = results[name];
      const ratio = runs.map((r, i) => r.p99 / results.healthy[i].p99);
      console.log(
        `${labels[name].padEnd(34)} p50 ${summary(runs.map((r) => r.p50))} ms, p99 ${summary(runs.map((r) => r.p99))} ms, p99 / all-healthy (per set) ${summary(ratio, 2)}`,
      );
      const cpu = (r) => r.cpuUs.worker + r.cpuUs.redis + r.cpuUs.receiver;
      console.log(
        `${"".padEnd(34)} CPU µs per delivery ${summary(runs.map(cpu))}, Redis commands per delivery ${summary(
          runs.map((r) => r.callsPerDelivery.redisCommands),
          2,
        )}, run-queue wait ${summary(runs.map((r) => r.runQueueWaitMs.totalMs))} ms per run`,
      );
    }
  }
  if (ONLY.has("steady")) {
    // CPU per delivery at a steady moderate rate (all healthy) vs the drain's, all three processes.
    const steady = [];
    const drains = [];
    for (let run = 0; run < RUNS; run++) {
      const s = await loadRun(redis, receiver, endpoints, "healthy", STEADY_RATE);
      console.log(`steady run ${run + 1}: load ${loadavg()[0].toFixed(1)}`, JSON.stringify(s));
      steady.push(s);
      const d = await drainRun(redis, receiver, endpoints, run);
      console.log(
        `drain run ${run + 1}: load ${loadavg()[0].toFixed(1)}`,
        JSON.stringify({
          rate: d.rate,
          workerCpuUs: d.workerCpuUsWithHandoff,
          redisCpuUs: d.redisCpuUsEndToEnd,
          receiverCpuUs: d.receiverCpuUs,
        }),
      );
      drains.push(d);
    }
    // Like with like: both sides count the worker (hand-off included) and Redis for enqueue + claim + settle +
    // hand-off, per delivery; the receiver (the customers' endpoints, not Hookyard) is shown apart.
    const hookyard = (c) => c.worker + c.redis;
    const drainHookyard = (d) => d.workerCpuUsWithHandoff + d.redisCpuUsEndToEnd;
    console.log(`\n== steady ${STEADY_RATE}/s (all healthy, ${LOAD_SECONDS} s) vs drain of ${DELIVERIES}`);
    console.log(`steady p50 / p99: ${summary(steady.map((r) => r.p50))} / ${summary(steady.map((r) => r.p99))} ms`);
    console.log(
      `CPU µs per delivery, steady: worker + redis ${summary(steady.map((r) => hookyard(r.cpuUs)))} (worker ${summary(steady.map((r) => r.cpuUs.worker))}, redis ${summary(steady.map((r) => r.cpuUs.redis))}); receiver ${summary(steady.map((r) => r.cpuUs.receiver))}`,
    );
    console.log(
      `store calls per delivery, steady: claims ${summary(
        steady.map((r) => r.callsPerDelivery.claims),
        2,
      )}, completes ${summary(
        steady.map((r) => r.callsPerDelivery.completes),
        2,
      )}; Redis read events ${summary(
        steady.map((r) => r.callsPerDelivery.redisReads),
        2,
      )}; worker event-loop wake-ups (main thread) ${summary(
        steady.map((r) => r.callsPerDelivery.workerSleeps),
        2,
      )}; Redis script calls and outbox reads ${summary(
        steady.map((r) => r.callsPerDelivery.scriptCalls),
        2,
      )}`,
    );
    console.log(
      `CPU µs per delivery, drain: worker + redis ${summary(drains.map(drainHookyard))} (worker incl. hand-off ${summary(drains.map((d) => d.workerCpuUsWithHandoff))}, redis enqueue + claim + settle + hand-off ${summary(drains.map((d) => d.redisCpuUsEndToEnd))}); receiver ${summary(drains.map((d) => d.receiverCpuUs))}`,
    );
    console.log(
      `ratio steady / drain, worker + redis (per pair): ${summary(
        steady.map((r, i) => hookyard(r.cpuUs) / drainHookyard(drains[i])),
        2,
      )}`,
    );
    console.log(
      `ratio steady / drain, with the receiver (per pair): ${summary(
        steady.map(
          (r, i) => (hookyard(r.cpuUs) + r.cpuUs.receiver) / (drainHookyard(drains[i]) + drains[i].receiverCpuUs),
        ),
        2,
      )}`,
    );
    console.log(
      `ratio as measured before (drain without enqueue and the hand-off's tail, receiver in both): ${summary(
        steady.map(
          (r, i) =>
            (hookyard(r.cpuUs) + r.cpuUs.receiver) /
            (drains[i].workerCpuUs + drains[i].redisCpuUs + drains[i].receiverCpuUs),
        ),
        2,
      )}`,
    );
  }
  if (ONLY.has("rate")) {
    const rateEndpoints = [
      ...endpoints,
      ...endpointsFor([ratePort]).map((e) => ({
        ...e,
        id: "ep-rate",
        policy: { ...e.policy, rateLimit: { perSecond: RATE_LIMIT, burst: BURST } },
      })),
    ];
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const result = await rateRun(redis, receiver, rateEndpoints, ENDPOINTS);
      console.log(`rate run ${run + 1}:`, JSON.stringify(result));
      runs.push(result);
    }
    console.log(`\n== rate limit ${RATE_LIMIT}/s, burst ${BURST}, ${RATE_LIMIT * 10} queued deliveries`);
    console.log(
      `observed rate: ${summary(
        runs.map((r) => r.observed),
        2,
      )} /s`,
    );
    console.log(
      `error:         ${summary(
        runs.map((r) => r.errorPct),
        2,
      )} %`,
    );
  }
  if (ONLY.has("tracing")) {
    // Variants interleaved (rotating which goes first), so a change in the machine's load hits each alike.
    const variants = args.tracing.split(",").map((v) => (v.startsWith("off") || v === "sdk-only" ? v : Number(v)));
    const label = (variant) =>
      typeof variant === "number" ? `${variant * 100} % sampled` : variant === "off+tp" ? "off, with tp" : variant;
    const collector = await startCollector();
    const results = new Map(variants.map((ratio) => [ratio, []]));
    try {
      for (let run = 0; run < RUNS; run++) {
        for (let k = 0; k < variants.length; k++) {
          const ratio = variants[(run + k) % variants.length];
          const result = await tracingRun(redis, receiver, endpoints, run, ratio, collector.url);
          results.get(ratio).push(result);
          console.log(`tracing run ${run + 1}, ${label(ratio)}:`, JSON.stringify(result));
        }
      }
    } finally {
      await collector.close();
    }
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length / 2;
      return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
    };
    const change = (runs, base, key) =>
      `${((median(runs.map((r) => r[key])) / median(base.map((r) => r[key])) - 1) * 100).toFixed(1)} %`;
    console.log(
      `\n== drain of ${DELIVERIES.toLocaleString("en")} with tracing, ${RUNS} interleaved runs each (figures after the first tenth)`,
    );
    console.log(`OTLP exports received by the collector stand-in: ${JSON.stringify(collector.stats())}`);
    for (const variant of variants) {
      const runs = results.get(variant);
      // Against off, and against off with the same traceparents on the events (what tracing itself adds).
      const against = ["off", "off+tp"]
        .filter((base) => base !== variant && results.has(base) && (base === "off" || variant !== "off+tp"))
        .map(
          (base) =>
            `; vs ${label(base)}: rate ${change(runs, results.get(base), "rate")}, worker CPU ${change(runs, results.get(base), "workerCpuUs")}`,
        )
        .join("");
      console.log(
        `${label(variant).padEnd(14)} drain ${summary(runs.map((r) => r.rate))} /s; worker CPU per delivery ${summary(
          runs.map((r) => r.workerCpuUs),
          1,
        )} µs${against}`,
      );
    }
  }
} finally {
  for (const child of workers) child.kill("SIGKILL");
  receiver.stop();
  await redis.stop();
}
