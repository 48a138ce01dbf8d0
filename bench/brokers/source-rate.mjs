#!/usr/bin/env node
// The broker consumption rate alone: a built-in source connector, in this process, with a `deliver` that resolves
// at once (no Redis, no HTTP). N events of 1 KiB are published first, then the clock runs from start() until the
// source handed over the last one (and every delivery resolved). Prints the median of --runs, and the CPU per event
// of this process (the connector and its client; deliver costs nothing) and of the broker over the same interval.
// Usage: node bench/brokers/source-rate.mjs [--brokers kafka,rabbitmq,pubsub,sqs] [--events 20000] [--runs 3]
//        [--deliver-ms N]   (deliver takes N ms instead of resolving at once). For CPU per event, SQS requests per
//        event and a profile of the SQS source alone, see sqs-source-cpu.mjs.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connector as kafka } from "@hookyard/connector-kafka";
import { connector as pubsub } from "@hookyard/connector-pubsub";
import { connector as rabbitmq } from "@hookyard/connector-rabbitmq";
import { connector as sqs } from "@hookyard/connector-sqs";
import { compileEnvelopeMapping, registerConfigFormats } from "@hookyard/core";
import convict from "convict";
import { pino } from "pino";
import { BROKERS, createFixture, events, median } from "./broker-fixtures.mjs";
import { brokerPid, cpuSeconds, ownCpuSeconds } from "./process-cpu.mjs";

const { values: args } = parseArgs({
  options: {
    brokers: { type: "string", default: BROKERS.join(",") },
    events: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
    "deliver-ms": { type: "string", default: "0" },
  },
});
const CONNECTORS = { kafka, rabbitmq, pubsub, sqs };
const EVENTS = Number(args.events);
// --deliver-ms: a deliver that takes this long (like an enqueue round trip to Redis) instead of resolving at once,
// which shows how many deliveries the source really keeps in flight (rate ≈ in-flight / latency).
const DELIVER_MS = Number(args["deliver-ms"]);
registerConfigFormats();

function sourceContext() {
  const controller = new AbortController();
  const mapping = compileEnvelopeMapping({}, "sources.bench.mapping");
  return {
    logger: pino({ level: process.env.HOOKYARD_BENCH_LOG_LEVEL ?? "warn" }),
    signal: controller.signal,
    sourceId: "bench",
    toEnvelope: (message) => mapping.map(message),
    deadLetter: async (_message, reason) => {
      throw new Error(`unexpected dead letter: ${reason}`);
    },
  };
}

async function run(broker, runIndex) {
  const fixture = await createFixture(broker);
  try {
    await fixture.publish(events(EVENTS, `r${runIndex}`));
    const { config: raw } = fixture.source();
    const definition = CONNECTORS[broker];
    const config = convict(definition.source.schema, { env: {}, args: [] });
    config.load(raw);
    config.validate({ allowed: "strict" });
    const source = definition.source.create(config.getProperties(), sourceContext());
    const seen = new Set();
    let done;
    const finished = new Promise((resolve) => {
      done = resolve;
    });
    const brokerProcess = brokerPid(broker);
    const cpuBefore = { own: ownCpuSeconds(), broker: cpuSeconds(brokerProcess) };
    const started = performance.now();
    await source.start(async (envelope) => {
      if (DELIVER_MS > 0) await sleep(DELIVER_MS);
      seen.add(envelope.id);
      if (seen.size === EVENTS) done(performance.now());
    });
    const ended = await finished;
    const cpu = { own: ownCpuSeconds() - cpuBefore.own, broker: cpuSeconds(brokerProcess) - cpuBefore.broker };
    await source.stop();
    return {
      rate: EVENTS / ((ended - started) / 1000),
      ownUs: (cpu.own / EVENTS) * 1e6,
      brokerUs: (cpu.broker / EVENTS) * 1e6,
    };
  } finally {
    await fixture.cleanup();
  }
}

for (const broker of args.brokers.split(",")) {
  const results = [];
  for (let i = 0; i < Number(args.runs); i++) results.push(await run(broker, i));
  const rates = results.map((r) => r.rate);
  console.log(
    `${broker.padEnd(9)} source alone: median ${Math.round(median(rates))} events/s ` +
      `(runs: ${rates.map((r) => Math.round(r)).join(", ")}; ${EVENTS} events of 1 KiB` +
      `${DELIVER_MS > 0 ? `; deliver takes ${DELIVER_MS} ms` : ""}); CPU per event: ` +
      `source process ${median(results.map((r) => r.ownUs)).toFixed(1)} µs, ` +
      `broker ${median(results.map((r) => r.brokerUs)).toFixed(1)} µs (medians)`,
  );
}
