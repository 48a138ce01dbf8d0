#!/usr/bin/env node
// What a push design would cost at issue 14's steady rate, measured rather than estimated: the least a worker and
// Redis can spend per delivery when the enqueue leases the new deliveries and the worker learns of them with the
// work itself (no wake-up message, no claim round trip). Emulated with the real parts: every 10 ms this process
// enqueues 2 events (the Redis store's real enqueue: 1 KiB, a dedup key, 1,000 endpoints in turn) and claims them
// in the same write (the store corks one turn's calls into one writev, so Redis runs both in one read event, as one
// script would), then hands the leases to a worker process over IPC (its one wake-up per tick, as a pushed message
// would be). The worker decodes, signs and sends them with packages/delivery's client, settles them with the real
// `complete` once per --linger (the lingering completes a push design needs, having no claim to ride) and runs the
// real history hand-off (500 ms linger, bounded memory history). Counted, as scheduler-bench's steady run counts:
// the worker process and redis-server, per delivery over the window after one warm-up round; not this process (it
// stands for the intake) nor the receiver. It leaves out what a real push path adds (choosing a worker, the lease
// work inside the enqueue, the worker's claim loop and limits), so it is a floor: if it is above 2× the drain
// (scheduler-bench's, same minutes), no push design meets issue 14's ratio on this machine.
//   node bench/scheduler/push-floor.mjs [--runs 3] [--seconds 20] [--rate 200] [--linger 50]
import { fork } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "@hookyard/core";
import { createHttpDelivery } from "@hookyard/delivery";
import { createMemoryHistoryStore } from "@hookyard/history";
import { createHistoryHandoff, createRedisStore } from "@hookyard/scheduler";
import { startPrivateRedis } from "../private-redis.mjs";
import { median } from "../stats.mjs";
import { benchEndpoints } from "./store-load.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "20" },
    rate: { type: "string", default: "200" },
    linger: { type: "string", default: "50" },
    child: { type: "string" },
  },
});
const here = new URL(".", import.meta.url);
const RATE = Number(args.rate);
const PAYLOAD = JSON.stringify({ type: "invoice.paid", pad: "x".repeat(990) });
const endpointsOn = (ports) => benchEndpoints(ports.length, { url: (i) => `http://127.0.0.1:${ports[i]}/hooks` });

if (args.child) await worker(args.child);
else await main();

async function main() {
  const receiver = fork(new URL("receiver.mjs", here), ["1000"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [{ ports }] = await once(receiver, "message");
  const endpoints = endpointsOn(ports);
  const redis = await startPrivateRedis();
  const store = createRedisStore({ redis: redis.url, prefix: "bench" });
  await store.syncEndpoints(endpoints);
  console.log(`push floor: ${RATE}/s, 1,000 endpoints, 1 KiB; load average ${loadavg()[0].toFixed(1)}`);
  const runs = [];
  for (let run = 0; run < Number(args.runs); run++) {
    const child = fork(new URL(import.meta.url), ["--child", redis.url, ...process.argv.slice(2)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.send({ ports });
    await once(child, "message"); // ready
    const ask = async () => {
      child.send({ type: "report" });
      const [reply] = await once(child, "message");
      return reply;
    };
    const redisSample = async () => {
      const text = await redis.admin.info("all");
      const num = (re) => Number(re.exec(text)?.[1] ?? 0);
      return {
        cpu: (num(/^used_cpu_user:([\d.]+)/m) + num(/^used_cpu_sys:([\d.]+)/m)) * 1e6,
        reads: num(/^total_reads_processed:(\d+)/m),
      };
    };
    let sequence = 0;
    const tick = async (count) => {
      const now = Date.now();
      for (let i = 0; i < count; i++) {
        const n = sequence++;
        const enqueued = store.enqueue({
          envelope: createEnvelope({ id: `e${now}-${run}-${n}`, source: "bench", type: "t", data: PAYLOAD }),
          endpointIds: [endpoints[n % endpoints.length].id],
          dedupKey: `bench:o:${run}:${n}`,
          dedupTtlMs: 60_000,
          now,
        });
        enqueued.catch((error) => console.error(error));
      }
      // The enqueue batcher sends after the current microtasks; the claim follows it within the same turn (the
      // store's connection stays corked until the turn's check phase), so both leave in one write.
      for (let i = 0; i < 4; i++) await Promise.resolve();
      const { deliveries } = await store.claim({ workerId: "w", max: count, leaseMs: 60_000, now });
      child.send({
        type: "work",
        items: deliveries.map((d) => [d.deliveryId, d.leaseToken, d.endpointId, encodeEnvelope(d.envelope), d.attempt]),
      });
      return deliveries.length;
    };
    /** `count` deliveries at RATE in 10 ms ticks (open loop: a late tick catches up); returns how many were leased. */
    const paced = async (count) => {
      const started = Date.now();
      let sent = 0;
      let leased = 0;
      while (sent < count) {
        const due = Math.min(count, Math.floor(((Date.now() - started) / 1000) * RATE));
        if (due > sent) {
          leased += await tick(due - sent);
          sent = due;
        }
        await sleep(10);
      }
      return leased;
    };
    await paced(endpoints.length);
    const [w0, r0] = [await ask(), await redisSample()];
    const count = Number(args.seconds) * RATE;
    const leased = await paced(count);
    await sleep(1000); // the last completes and the hand-off's linger: both are part of each delivery's cost
    const [w1, r1] = [await ask(), await redisSample()];
    child.send({ type: "exit" });
    await once(child, "exit");
    const result = {
      worker: (w1.cpu - w0.cpu) / count,
      redis: (r1.cpu - r0.cpu) / count,
      redisReads: (r1.reads - r0.reads) / count,
      workerWakeUps: (w1.sleeps - w0.sleeps) / count,
      completes: (w1.completes - w0.completes) / count,
      settled: w1.settled - w0.settled,
      leased,
    };
    runs.push(result);
    console.log(
      `run ${run + 1}: worker + redis ${(result.worker + result.redis).toFixed(0)} µs/delivery (worker ${result.worker.toFixed(0)}, ` +
        `redis ${result.redis.toFixed(0)}); per delivery: redis reads ${result.redisReads.toFixed(2)}, worker wake-ups ` +
        `${result.workerWakeUps.toFixed(2)}, completes ${result.completes.toFixed(3)}; leased ${leased} of ${count}, ` +
        `settled ${result.settled}; load ${loadavg()[0].toFixed(1)}`,
    );
  }
  const m = (key) => median(runs.map((r) => r[key]));
  console.log(
    `\nmedians of ${runs.length} runs: worker + redis ${median(runs.map((r) => r.worker + r.redis)).toFixed(0)} µs per ` +
      `delivery (worker ${m("worker").toFixed(0)}, redis ${m("redis").toFixed(0)}); redis reads ${m("redisReads").toFixed(2)}, ` +
      `worker wake-ups ${m("workerWakeUps").toFixed(2)} per delivery (load average now ${loadavg()[0].toFixed(1)})`,
  );
  receiver.send({ type: "exit" });
  await store.close();
  await redis.stop();
}

/** The worker side: sends what it is handed, settles in lingering batches, hands settled records off. */
async function worker(redisUrl) {
  const [{ ports }] = await once(process, "message");
  const endpoints = new Map(endpointsOn(ports).map((e) => [e.id, e]));
  const store = createRedisStore({ redis: redisUrl, prefix: "bench" });
  const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
  const handoff = createHistoryHandoff({
    store,
    history: createMemoryHistoryStore({ maxDelivered: 10_000, maxDeadLetters: 10_000 }),
    ownerOf: () => "bench",
  });
  handoff.start();
  const counters = { completes: 0, settled: 0 };
  let results = [];
  let flushTimer;
  const flush = () => {
    flushTimer = undefined;
    const batch = results;
    results = [];
    counters.completes += 1;
    counters.settled += batch.length;
    store.complete("w", batch, Date.now()).catch((error) => console.error(error));
  };
  const sendOne = async ([deliveryId, leaseToken, endpointId, encoded, attempt]) => {
    const outcome = await delivery.send(endpoints.get(endpointId), decodeEnvelope(encoded), attempt, {});
    if (outcome.kind !== "delivered") throw new Error(`the receiver answered ${outcome.attempt.status}`);
    results.push({ deliveryId, leaseToken, kind: "delivered", attempt: outcome.attempt });
    flushTimer ??= setTimeout(flush, Number(args.linger));
  };
  process.on("message", (message) => {
    if (message.type === "work") {
      for (const item of message.items) sendOne(item).catch((error) => console.error(error));
    } else if (message.type === "report") {
      const { user, system } = process.cpuUsage();
      const sleeps = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
      process.send({ cpu: user + system, sleeps, ...counters });
    } else if (message.type === "exit") {
      (async () => {
        if (flushTimer) clearTimeout(flushTimer);
        if (results.length > 0) flush();
        await handoff.stop();
        await store.close();
        await delivery.close?.();
        process.exit(0);
      })();
    }
  });
  process.send({ type: "ready" });
}
