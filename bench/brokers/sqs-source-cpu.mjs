#!/usr/bin/env node
// The SQS source's own cost per event: like source-rate.mjs (the connector in this process, `deliver` resolving at
// once or after --deliver-ms), but it also reports this process's CPU time per event over the consuming interval
// (process.cpuUsage: far steadier than the rate on a shared machine, where ElasticMQ and other work compete for the
// cores) and the SQS requests made per event, by action (counted from the requests' X-Amz-Target headers).
// --profile DIR writes a V8 CPU profile of the consuming interval only (publishing left out) per run, summarised
// per package like e2e-rate.mjs's; --functions N also lists the N hottest functions (self time).
// Usage: node bench/brokers/sqs-source-cpu.mjs [--events 20000] [--runs 3] [--deliver-ms 0] [--profile DIR]
//        [--functions 25] [--set '{"receivers":8}']   (--set: JSON merged over the bench's source settings)
// Build first: npx turbo run build (the connector and @hookyard/test-e2e, whose fixture publishes).
import { subscribe } from "node:diagnostics_channel";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connector as sqs } from "@hookyard/connector-sqs";
import { compileEnvelopeMapping, registerConfigFormats } from "@hookyard/core";
import convict from "convict";
import { pino } from "pino";
import { createFixture, events, median } from "./broker-fixtures.mjs";
import { summariseProfile } from "./profile-summary.mjs";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
    "deliver-ms": { type: "string", default: "0" },
    profile: { type: "string" },
    functions: { type: "string", default: "0" },
    set: { type: "string", default: "{}" },
  },
});
const EVENTS = Number(args.events);
const DELIVER_MS = Number(args["deliver-ms"]);
const OVERRIDES = JSON.parse(args.set);
registerConfigFormats();

// Requests by SQS action while the clock runs (the fixture's publishing is not counted).
let counting = false;
const requests = new Map();
subscribe("http.client.request.start", ({ request }) => {
  if (!counting) return;
  const target = String(request.getHeader("x-amz-target") ?? "?").replace(/^AmazonSQS\./, "");
  requests.set(target, (requests.get(target) ?? 0) + 1);
});

function sourceContext() {
  const mapping = compileEnvelopeMapping({}, "sources.bench.mapping");
  return {
    logger: pino({ level: process.env.HOOKYARD_BENCH_LOG_LEVEL ?? "warn" }),
    signal: new AbortController().signal,
    sourceId: "bench",
    toEnvelope: (message) => mapping.map(message),
    deadLetter: async (_message, reason) => {
      throw new Error(`unexpected dead letter: ${reason}`);
    },
  };
}

/** The hottest functions (self time) of a profile, with where they live. */
function hotFunctions(file, top) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const { callFrame } = byId.get(profile.samples[i]);
    if (callFrame.functionName === "(idle)") continue;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    busy += ms;
    const where = callFrame.url
      .replace(/^.*node_modules\//, "")
      .replace(/^file:\/\/.*\/(connectors|packages)\//, "$1/");
    const key = `${callFrame.functionName || "(anonymous)"}  ${where}:${callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + ms);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

async function run(runIndex) {
  const fixture = await createFixture("sqs");
  try {
    await fixture.publish(events(EVENTS, `r${runIndex}`));
    const { config: raw } = fixture.source();
    const config = convict(sqs.source.schema, { env: {}, args: [] });
    config.load({ ...raw, ...OVERRIDES });
    config.validate({ allowed: "strict" });
    const source = sqs.source.create(config.getProperties(), sourceContext());
    const seen = new Set();
    let done;
    const finished = new Promise((resolve) => {
      done = resolve;
    });
    const session = args.profile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    requests.clear();
    counting = true;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await source.start(async (envelope) => {
      if (DELIVER_MS > 0) await sleep(DELIVER_MS);
      seen.add(envelope.id);
      if (seen.size === EVENTS) done(performance.now());
    });
    const ended = await finished;
    const used = process.cpuUsage(cpu);
    counting = false;
    let profileFile;
    if (session) {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      mkdirSync(args.profile, { recursive: true });
      profileFile = join(args.profile, `sqs-source-${runIndex}.cpuprofile`);
      writeFileSync(profileFile, JSON.stringify(profile));
    }
    await source.stop();
    return {
      rate: EVENTS / ((ended - started) / 1000),
      cpuMsPerEvent: (used.user + used.system) / 1000 / EVENTS,
      systemShare: used.system / (used.user + used.system),
      requestsPerEvent: Object.fromEntries([...requests].map(([action, n]) => [action, n / EVENTS])),
      profileFile,
    };
  } finally {
    await fixture.cleanup();
  }
}

const results = [];
for (let i = 0; i < Number(args.runs); i++) {
  const result = await run(i);
  results.push(result);
  const perEvent = Object.entries(result.requestsPerEvent)
    .map(([action, n]) => `${action} ${n.toFixed(3)}`)
    .join(", ");
  console.log(
    `run ${i}: ${Math.round(result.rate)} events/s, ${result.cpuMsPerEvent.toFixed(3)} ms CPU per event ` +
      `(${Math.round(result.systemShare * 100)}% of it in the kernel); ` +
      `requests per event: ${perEvent}`,
  );
  if (result.profileFile) {
    for (const { category, share } of summariseProfile(result.profileFile, 16)) {
      console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${category}`);
    }
    if (Number(args.functions) > 0)
      for (const line of hotFunctions(result.profileFile, Number(args.functions))) console.log(`    ${line}`);
  }
}
console.log(
  `sqs source alone: median ${Math.round(median(results.map((r) => r.rate)))} events/s, ` +
    `${median(results.map((r) => r.cpuMsPerEvent)).toFixed(3)} ms CPU per event ` +
    `(${EVENTS} events of 1 KiB, ${results.length} runs${DELIVER_MS > 0 ? `, deliver takes ${DELIVER_MS} ms` : ""}` +
    `${args.set === "{}" ? "" : `, settings ${args.set}`})`,
);
