#!/usr/bin/env node
// The floor under issue 14's steady / drain ratio: the worker's HTTP sends alone — packages/delivery's client, signed
// 1 KiB webhooks to 1,000 endpoints of one origin each (bench/scheduler/receiver.mjs) — with no scheduler and no
// Redis. Each run is a fresh process, as scheduler-bench's worker is: "steady" sends 2 every 10 ms (200/s, as
// scheduler-bench's steady run enqueues) after one warm-up round over the endpoints, "drain" sends --deliveries
// with --in-flight at once from cold (connections included, as the drain's worker opens them). Per run: CPU µs per
// delivery of the sending process and of the receiver. Whatever a scheduler adds, its steady / drain ratio can only
// go below this one where its own work shrinks at a quiet rate; this says what the machine does to the same sends.
//   node bench/scheduler/send-floor.mjs [--runs 3] [--seconds 20] [--deliveries 10000] [--rate 200] [--in-flight 200]
import { fork } from "node:child_process";
import { once } from "node:events";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createHttpDelivery } from "@hookyard/delivery";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "20" },
    deliveries: { type: "string", default: "10000" },
    rate: { type: "string", default: "200" },
    "in-flight": { type: "string", default: "200" },
    child: { type: "string" },
  },
});
const here = new URL(".", import.meta.url);
const PAYLOAD = JSON.stringify({ type: "invoice.paid", pad: "x".repeat(990) });

if (args.child) await child(args.child);
else await main();

async function main() {
  const receiver = fork(new URL("receiver.mjs", here), ["1000"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [{ ports }] = await once(receiver, "message");
  const receiverCpu = async () => {
    receiver.send({ type: "stats" });
    for (;;) {
      const [reply] = await once(receiver, "message");
      if (reply.type === "stats") return reply.cpuMicros;
    }
  };
  console.log(
    `send floor: 1,000 endpoints, 1 KiB; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const runs = { steady: [], drain: [] };
  for (let run = 0; run < Number(args.runs); run++) {
    for (const mode of ["steady", "drain"]) {
      const before = await receiverCpu();
      const sender = fork(new URL(import.meta.url), ["--child", mode, ...process.argv.slice(2)], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      sender.send({ ports });
      const [result] = await once(sender, "message");
      await once(sender, "exit");
      const receiverUs = ((await receiverCpu()) - before) / result.total;
      runs[mode].push({ ...result, receiverUs });
      console.log(
        `run ${run + 1} ${mode}: sender ${result.cpuUs.toFixed(0)} µs/delivery (user ${result.userUs.toFixed(0)}, ` +
          `system ${result.systemUs.toFixed(0)}), receiver ${receiverUs.toFixed(0)}; ${result.count} measured; ` +
          `load ${loadavg()[0].toFixed(1)}`,
      );
    }
  }
  receiver.send({ type: "exit" });
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
  const pick = (mode, key) => median(runs[mode].map((r) => r[key]));
  const ratios = runs.steady.map((s, i) => s.cpuUs / runs.drain[i].cpuUs);
  console.log(`\nmedians of ${args.runs} interleaved pairs (load average now ${loadavg()[0].toFixed(1)}):`);
  for (const key of ["cpuUs", "userUs", "systemUs", "receiverUs"]) {
    console.log(
      `${key.padEnd(11)} steady ${pick("steady", key).toFixed(0).padStart(5)}  drain ${pick("drain", key).toFixed(0).padStart(5)} µs/delivery`,
    );
  }
  console.log(
    `ratio steady / drain, sender CPU (per pair): ${median(ratios).toFixed(2)} (runs: ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
  );
}

/** One run in a fresh process: sends, then reports this process's CPU per delivery over the measured part. */
async function child(mode) {
  const [{ ports }] = await once(process, "message");
  const endpoints = ports.map((port, i) => ({
    id: `ep-${i}`,
    url: `http://127.0.0.1:${port}/hooks`,
    owner: "bench",
    secrets: [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
    headers: {},
    enabled: true,
    policy: DEFAULT_ENDPOINT_POLICY,
  }));
  const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
  let n = 0;
  const send = () => {
    const i = n++;
    const envelope = createEnvelope({
      id: `e${Date.now()}-${i}`,
      source: "bench",
      type: "invoice.paid",
      data: PAYLOAD,
    });
    return delivery.send(endpoints[i % endpoints.length], envelope, 1, {});
  };
  const counted = mode === "steady" ? await steady(send, endpoints.length) : await drain(send);
  process.send({ ...counted, total: n }); // the receiver saw the warm-up too
  await delivery.close?.();
  process.exit(0);
}

/** One warm-up round over the endpoints, then `--seconds` at `--rate`, open loop in 10 ms ticks. */
async function steady(send, endpointCount) {
  const rate = Number(args.rate);
  const paced = async (count, onStart) => {
    const pending = [];
    const started = Date.now();
    onStart?.();
    for (let sent = 0; sent < count; ) {
      const due = Math.min(count, Math.floor(((Date.now() - started) / 1000) * rate));
      for (; sent < due; sent++) pending.push(send());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(pending);
  };
  await paced(endpointCount);
  let from;
  const count = Number(args.seconds) * rate;
  await paced(count, () => {
    from = process.cpuUsage();
  });
  return perDelivery(process.cpuUsage(from), count);
}

/** `--deliveries` sends, `--in-flight` at a time, from cold. */
async function drain(send) {
  const total = Number(args.deliveries);
  const from = process.cpuUsage();
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started += 1;
      await send();
    }
  };
  await Promise.all(Array.from({ length: Number(args["in-flight"]) }, lane));
  return perDelivery(process.cpuUsage(from), total);
}

function perDelivery({ user, system }, count) {
  return { count, cpuUs: (user + system) / count, userUs: user / count, systemUs: system / count };
}
