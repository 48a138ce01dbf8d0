// One Hookyard worker process for the benchmark: Redis store + worker + @hookyard/delivery (signing, undici,
// SSRF guard with 127.0.0.0/8 allowed). Controlled over IPC by scheduler-bench.mjs:
//   { type: "start", redisUrl, endpoints, maxInFlight, tracing? } → starts the worker; `tracing: { url, ratio }`
//     turns on OpenTelemetry (the runtime's startTracing: OTLP/HTTP to url, parent-based ratio sampler) and each
//     attempt becomes a client span
//   { type: "report" } → { type: "report", ...counters, rss, peakRss }
//   { type: "stop" } → stops everything and exits
// It counts its store calls (one Redis round trip each) and the results stored by successful complete calls.
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createHttpDelivery } from "@hookyard/delivery";
import { createMemoryHistoryStore } from "@hookyard/history";
import { startTracing } from "@hookyard/runtime";
import { createHistoryHandoff, createRedisStore, createWorker } from "@hookyard/scheduler";

const counters = {
  claims: 0,
  claimed: 0,
  completes: 0,
  extends: 0,
  stored: 0,
  delivered: 0,
  failed: 0,
  startedAt: 0,
  lastCompleteAt: 0,
  cpuAtStart: 0, // µs of CPU (user + system) of this process
  cpuAtLastComplete: 0,
  // The first `warmup` results (start message) are left out of the figures taken from these: lazily loaded and
  // compiled code (e.g. the OTLP exporter's on its first export) is a one-time cost, not a per-delivery one.
  storedAtWarm: 0,
  warmAt: 0,
  cpuAtWarm: 0,
  handedOff: 0, // settled records written to the history store by this process's hand-off
  lastHandoffAt: 0,
  cpuAtLastHandoff: 0,
};
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
/**
 * Times the main thread went to sleep waiting (epoll) and was woken: each wake-up costs a context switch and cold
 * caches. Linux: the main thread's voluntary context switches (/proc/self/status is the thread group leader's);
 * elsewhere the whole process's (V8's compiler and GC threads too).
 */
function eventLoopSleeps() {
  try {
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  } catch {
    return process.resourceUsage().voluntaryContextSwitches;
  }
}
let peakRss = process.memoryUsage.rss();
let atPeak = process.memoryUsage();
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) {
    peakRss = rss;
    atPeak = process.memoryUsage();
  }
}, 200).unref();

let worker;
let store;
let delivery;
let handoff;
let tracing;

// HOOKYARD_BENCH_ALLOC_PROFILE=FILE: a sampling profile of every allocation (also of objects the GC has collected
// since) from start to stop, written as a .heapprofile (Chrome DevTools → Memory, or summarise it by function).
const allocProfile = process.env.HOOKYARD_BENCH_ALLOC_PROFILE;
const inspector = allocProfile ? new Session() : undefined;

async function start(message) {
  if (inspector) {
    inspector.connect();
    await inspector.post("HeapProfiler.startSampling", {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: process.env.HOOKYARD_BENCH_ALLOC_PROFILE_MINOR !== "0",
    });
  }
  store = createRedisStore({ redis: message.redisUrl, prefix: "bench" });
  tracing = message.tracing
    ? await startTracing(
        {
          kind: "otlp",
          tracesUrl: message.tracing.url,
          headers: {},
          serviceName: "hookyard-bench",
          resourceAttributes: {},
          sampler: { name: "parentbased_traceidratio", ratio: message.tracing.ratio },
        },
        { info() {}, warn: (details, text) => console.error(text, details) },
      )
    : undefined;
  delivery = createHttpDelivery({
    ssrf: { allow: ["127.0.0.0/8"] },
    // sdkOnly: the SDK started, no tracer handed to the delivery client (what loading it costs by itself).
    ...(tracing?.tracer && !message.tracing.sdkOnly ? { tracer: tracing.tracer } : {}),
  });
  const endpoints = new Map(message.endpoints.map((endpoint) => [endpoint.id, endpoint]));
  const counted = {
    ...store,
    async claim(request) {
      counters.claims += 1;
      const result = await store.claim(request);
      counters.claimed += result.deliveries.length;
      return result;
    },
    async complete(workerId, results, now) {
      counters.completes += 1;
      const report = await store.complete(workerId, results, now); // the worker reads its stale ids
      counters.stored += results.length;
      for (const result of results) {
        if (result.kind === "delivered") counters.delivered += 1;
        else counters.failed += 1;
      }
      counters.lastCompleteAt = performance.now();
      counters.cpuAtLastComplete = cpuMicros();
      if (counters.warmAt === 0 && counters.stored >= (message.warmup ?? 0)) {
        counters.warmAt = counters.lastCompleteAt;
        counters.cpuAtWarm = counters.cpuAtLastComplete;
        counters.storedAtWarm = counters.stored;
      }
      return report;
    },
    async extendLeases(...args) {
      counters.extends += 1;
      await store.extendLeases(...args);
    },
  };
  worker = createWorker({
    store: counted,
    send: (claimed, endpoint, signal) => delivery.send(endpoint, claimed.envelope, claimed.attempt, { signal }),
    endpoints: (id) => endpoints.get(id),
    maxInFlight: message.maxInFlight,
    // HOOKYARD_BENCH_FLUSH_LINGER_MS: how long results nothing waits for linger (the worker's flushLingerMs).
    ...(process.env.HOOKYARD_BENCH_FLUSH_LINGER_MS
      ? { flushLingerMs: Number(process.env.HOOKYARD_BENCH_FLUSH_LINGER_MS) }
      : {}),
    logger: {
      debug() {},
      info() {},
      warn: (details, text) => console.error(text, details),
      error: (details, text) => console.error(text, details),
    },
  });
  // The hand-off to the history tier, as every Hookyard instance runs it. HOOKYARD_BENCH_HISTORY=memory (default:
  // the bounded in-memory history store, its oldest records evicted) or null (records taken and dropped).
  const history =
    process.env.HOOKYARD_BENCH_HISTORY === "null"
      ? { write: async () => {} }
      : createMemoryHistoryStore({ maxDelivered: 10_000, maxDeadLetters: 10_000 });
  handoff = createHistoryHandoff({
    store,
    history,
    ownerOf: () => "bench",
    observer: {
      onWritten: (records) => {
        counters.handedOff += records;
        counters.lastHandoffAt = performance.now();
        counters.cpuAtLastHandoff = cpuMicros();
      },
    },
  });
  counters.startedAt = performance.now();
  counters.cpuAtStart = cpuMicros();
  worker.start();
  handoff.start();
}

process.on("message", (message) => {
  if (message.type === "start") {
    start(message).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else if (message.type === "report") {
    process.send({
      type: "report",
      ...counters,
      rss: process.memoryUsage.rss(),
      peakRss,
      atPeak,
      inFlight: worker?.inFlight ?? 0,
      cpuNow: cpuMicros(),
      sleepsNow: eventLoopSleeps(),
    });
  } else if (message.type === "stop") {
    (async () => {
      await worker?.stop({ graceMs: 1000 });
      await handoff?.stop();
      if (inspector) {
        const { profile } = await inspector.post("HeapProfiler.stopSampling");
        writeFileSync(allocProfile, JSON.stringify(profile));
      }
      await store?.close();
      await delivery?.close();
      await tracing?.shutdown();
      process.exit(0);
    })();
  }
});
process.send({ type: "ready" });
