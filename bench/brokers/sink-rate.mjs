#!/usr/bin/env node
// The Kafka sink alone: the connector's sink in this process publishes N events (1 KiB unless --bytes) to a fresh
// topic with 8 partitions, in batches of 100 (the runtime's sink dispatcher sends at most 100 per call) with
// --concurrency calls in flight, each resolving on the brokers' acks (acks = -1, idempotent producer). Prints
// events/s from the first send to the last ack, and the CPU per event of this process and of the broker.
// Usage: node bench/brokers/sink-rate.mjs [--events 20000] [--runs 3] [--bytes 1024] [--concurrency 4]
// Build first: npx turbo run build --filter=@hookyard/connector-kafka --filter=@hookyard/test-e2e
import { parseArgs } from "node:util";
import { connector as kafka } from "@hookyard/connector-kafka";
import { createEnvelope, registerConfigFormats } from "@hookyard/core";
import convict from "convict";
import { pino } from "pino";
import { createFixture, median } from "./broker-fixtures.mjs";
import { brokerPid, cpuSeconds, ownCpuSeconds } from "./process-cpu.mjs";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
    bytes: { type: "string", default: "1024" },
    concurrency: { type: "string", default: "4" },
  },
});
const EVENTS = Number(args.events);
const BATCH = 100;
registerConfigFormats();

async function run(runIndex) {
  const fixture = await createFixture("kafka", 8);
  try {
    const brokers = fixture.source().config.brokers;
    const config = convict(kafka.sink.schema, { env: {}, args: [] });
    config.load({ brokers, topic: fixture.topic, maxMessageBytes: Math.max(1048576, Number(args.bytes) * 2) });
    config.validate({ allowed: "strict" });
    const ctx = {
      logger: pino({ level: process.env.HOOKYARD_BENCH_LOG_LEVEL ?? "warn" }),
      signal: AbortSignal.timeout(6e5),
    };
    const sink = kafka.sink.create(config.getProperties(), ctx);
    const payload = JSON.stringify({ padding: "x".repeat(Math.max(0, Number(args.bytes) - 16)) });
    const envelopes = Array.from({ length: EVENTS }, (_, i) =>
      createEnvelope({
        id: `r${runIndex}-${i}`,
        type: "invoice.paid",
        source: "bench",
        data: payload,
        key: `k${i % 64}`,
      }),
    );
    // Warm-up: connect and learn the topic's metadata outside the measured interval.
    await sink.send(envelopes.slice(0, 1));
    const pid = brokerPid("kafka");
    const before = { own: ownCpuSeconds(), broker: cpuSeconds(pid) };
    const started = performance.now();
    let next = 1;
    const lane = async () => {
      while (next < EVENTS) {
        const batch = envelopes.slice(next, next + BATCH);
        next += BATCH;
        await sink.send(batch);
      }
    };
    await Promise.all(Array.from({ length: Number(args.concurrency) }, lane));
    const seconds = (performance.now() - started) / 1000;
    const sent = EVENTS - 1;
    const cpu = { own: ownCpuSeconds() - before.own, broker: cpuSeconds(pid) - before.broker };
    await sink.stop();
    return { rate: sent / seconds, ownUs: (cpu.own / sent) * 1e6, brokerUs: (cpu.broker / sent) * 1e6 };
  } finally {
    await fixture.cleanup();
  }
}

const results = [];
for (let i = 0; i < Number(args.runs); i++) results.push(await run(i));
const rates = results.map((r) => r.rate);
console.log(
  `kafka     sink alone: median ${Math.round(median(rates))} events/s (runs: ${rates.map((r) => Math.round(r)).join(", ")}; ` +
    `${EVENTS} events of ${args.bytes} B, batches of ${BATCH}, ${args.concurrency} in flight); CPU per event: ` +
    `sink process ${median(results.map((r) => r.ownUs)).toFixed(1)} µs, broker ${median(results.map((r) => r.brokerUs)).toFixed(1)} µs (medians)`,
);
