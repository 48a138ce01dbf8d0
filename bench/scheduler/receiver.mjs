// The benchmark's webhook receiver, run as its own process so it does not take the worker's event loop:
// one node:http server (keep-alive, answers 200 at once) per endpoint on 127.0.0.1, i.e. one origin per endpoint.
// Controlled over IPC by scheduler-bench.mjs:
//   { type: "mode", failing: [index], slow: [index], slowMs, hanging: [index], drip: [index], throttled: [index],
//     tracked: [index], since, rateIndex } → { type: "ok" }
//   hanging: never answers; drip: answers 200 and then sends its body a byte every 500 ms, never ending;
//   throttled: 429 with Retry-After: 2.
//   { type: "stats" } → { type: "stats", total, trackedTotal, byStatus, latency: { count, p50, p99, max }, rateTimes }
// Latency = arrival time here - enqueue time, which the bench encodes in the envelope id (webhook-id "e<ms>-<n>"),
// recorded for the tracked endpoints' deliveries enqueued at or after `since` (the warm-up is left out).
import { createServer } from "node:http";

const count = Number(process.argv[2] ?? 1000);
let failing = new Set();
let slow = new Set();
let slowMs = 0;
let hanging = new Set();
let drip = new Set();
let throttled = new Set();
let tracked = new Set();
let rateIndex = -1;
let since = 0;
let trackedTotal = 0;
let total = 0;
let byStatus = {};
let latencies = [];
// Enqueue second (relative to `since`) of each tracked delivery, parallel to `latencies`: tells a stall (the
// slow deliveries bunched in a second or two: a process or the machine paused) from unfairness (spread out).
let enqueueSeconds = [];
let rateTimes = [];

function handler(index) {
  return (req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      const now = Date.now();
      total += 1;
      if (index === rateIndex) rateTimes.push(performance.now());
      if (tracked.has(index)) {
        trackedTotal += 1;
        const id = req.headers["webhook-id"] ?? "";
        const dash = id.indexOf("-");
        const enqueuedAt = id.startsWith("e") && dash > 1 ? Number(id.slice(1, dash)) : Number.NaN;
        if (enqueuedAt >= since) {
          latencies.push(now - enqueuedAt);
          enqueueSeconds.push(Math.floor((enqueuedAt - since) / 1000));
        }
      }
      if (hanging.has(index)) return;
      if (drip.has(index)) {
        res.writeHead(200, { "content-type": "text/plain" });
        const timer = setInterval(() => res.write("."), 500);
        res.on("close", () => clearInterval(timer));
        return;
      }
      if (throttled.has(index)) {
        byStatus[429] = (byStatus[429] ?? 0) + 1;
        res.writeHead(429, { "retry-after": "2" }).end("slow down");
        return;
      }
      const status = failing.has(index) ? 500 : 200;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (slow.has(index)) setTimeout(() => res.writeHead(status).end("ok"), slowMs);
      else res.writeHead(status).end("ok");
    });
  };
}

const ports = [];
for (let i = 0; i < count; i++) {
  const server = createServer(handler(i));
  server.keepAliveTimeout = 30_000; // longer than the client's, so the client always closes idle sockets first
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  ports.push(server.address().port);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * The enqueue seconds holding the most deliveries slower than `threshold` (the p99), as "second:count", worst
 * first (at most 3), and how many seconds hold any.
 */
function slowSeconds(threshold) {
  const bySecond = new Map();
  for (let i = 0; i < latencies.length; i++) {
    if (latencies[i] < threshold || threshold === 0) continue;
    bySecond.set(enqueueSeconds[i], (bySecond.get(enqueueSeconds[i]) ?? 0) + 1);
  }
  const worst = [...bySecond].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return { seconds: bySecond.size, worst: worst.map(([second, n]) => `${second}:${n}`).join(" ") };
}

process.on("message", (message) => {
  if (message.type === "mode") {
    failing = new Set(message.failing ?? []);
    slow = new Set(message.slow ?? []);
    slowMs = message.slowMs ?? 0;
    hanging = new Set(message.hanging ?? []);
    drip = new Set(message.drip ?? []);
    throttled = new Set(message.throttled ?? []);
    tracked = new Set(message.tracked ?? []);
    rateIndex = message.rateIndex ?? -1;
    since = message.since ?? 0;
    trackedTotal = 0;
    total = 0;
    byStatus = {};
    latencies = [];
    enqueueSeconds = [];
    rateTimes = [];
    process.send({ type: "ok" });
  } else if (message.type === "stats") {
    const sorted = Float64Array.from(latencies).sort();
    process.send({
      type: "stats",
      total,
      trackedTotal,
      byStatus,
      latency: {
        count: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.length ? sorted[sorted.length - 1] : 0,
        slowSeconds: slowSeconds(percentile(sorted, 99)),
      },
      rateTimes,
      cpuMicros: process.cpuUsage().user + process.cpuUsage().system,
    });
  } else if (message.type === "exit") {
    process.exit(0);
  }
});
process.send({ type: "ready", ports });
