#!/usr/bin/env node
// Broker → delivered webhook: the full runtime (`hookyard start -c FILE`, a child process) consumes a backlog of N
// events of 1 KiB from the broker and delivers each to one of 100 endpoints (the event's type names the endpoint:
// 100 subscriptions, one per endpoint, so routing runs for real; 1 event → 1 delivery). The endpoints are 100
// keep-alive HTTP servers in a receiver process; Redis is a private redis-server with AOF on (appendfsync
// everysec), like bench/scheduler. Rate = events / (last webhook − first webhook) at the receiver.
// Also prints CPU seconds per 1,000 events of each process (Hookyard, Redis, the broker, the receiver).
// "synthetic" (synthetic-source.mjs, first by default) is a source that costs nothing: the runtime's own ceiling.
// Usage: node bench/brokers/e2e-rate.mjs [--brokers synthetic,kafka,rabbitmq,pubsub,sqs] [--events 20000] [--runs 3]
//        [--endpoints 100] [--profile DIR] [--drain]   (--profile: node --cpu-prof for Hookyard, summarised per
//        package; --drain: also runs bench/scheduler's drain of the same number of deliveries over the same endpoints,
//        interleaved with the brokers, and reports each broker's rate as a share of it and the CPU it needs)
// Build first: npx turbo run build (runtime, connectors and @hookyard/test-e2e, whose fixtures publish).
import { execFileSync, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, startPrivateRedis } from "../private-redis.mjs";
import { BROKERS, createFixture, installSynthetic, median, PAYLOAD } from "./broker-fixtures.mjs";
import { brokerPid, cpuSeconds } from "./process-cpu.mjs";
import { summariseProfile } from "./profile-summary.mjs";

const { values: args } = parseArgs({
  options: {
    brokers: { type: "string", default: ["synthetic", ...BROKERS].join(",") },
    events: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
    endpoints: { type: "string", default: "100" },
    concurrency: { type: "string", default: "500" },
    profile: { type: "string" },
    drain: { type: "boolean", default: false },
    "redis-server": { type: "string", default: process.env.HOOKYARD_REDIS_SERVER ?? "redis-server" },
  },
});
const EVENTS = Number(args.events);
const ENDPOINTS = Number(args.endpoints);
const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "packages/runtime/dist/cli.js");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startReceiver() {
  const child = fork(new URL("receiver.mjs", import.meta.url), [String(ENDPOINTS)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [ready] = await once(child, "message");
  const request = (type, reply) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type !== reply) return;
        child.off("message", onMessage);
        resolve(message);
      };
      child.on("message", onMessage);
      child.send({ type });
    });
  return {
    pid: child.pid,
    ports: ready.ports,
    stats: () => request("stats", "stats"),
    reset: () => request("reset", "ok"),
    stop: () => child.send({ type: "exit" }),
  };
}

function configFor(redis, receiver, fixture, prefix, metricsPort) {
  const endpoints = receiver.ports.slice(0, ENDPOINTS).map((port, i) => ({
    id: `ep-${i}`,
    url: `http://127.0.0.1:${port}/hooks`,
    secrets: [SECRET],
  }));
  return {
    server: { host: "127.0.0.1", port: metricsPort },
    log: { level: "warn", format: "json" },
    redis: { url: redis.url, prefix },
    delivery: { concurrency: Number(args.concurrency) },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints,
    subscriptions: endpoints.map((endpoint, i) => ({
      id: `sub-${i}`,
      endpoints: [endpoint.id],
      types: [`bench.ep-${i}`],
    })),
    sources: [fixture.source()],
  };
}

async function run(broker, redis, receiver, runIndex, profileDir) {
  const fixture = await createFixture(broker);
  try {
    const prefix = `bench-${broker}-${runIndex}-${Date.now()}`;
    await fixture.publish(
      Array.from({ length: EVENTS }, (_, i) => ({
        id: `${prefix}-${i}`,
        type: `bench.ep-${i % ENDPOINTS}`,
        data: PAYLOAD,
      })),
    );
    const dir = mkdtempSync(join(tmpdir(), "hookyard-bench-config-"));
    const file = join(dir, "hookyard.json");
    const metricsPort = await freePort();
    writeFileSync(file, JSON.stringify(configFor(redis, receiver, fixture, prefix, metricsPort)));
    installSynthetic(dir);
    await receiver.reset();
    const nodeArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...nodeArgs, cli, "start", "-c", file], {
      cwd: dir, // where the synthetic source package is installed
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, METADATA_SERVER_DETECTION: "none", AWS_EC2_METADATA_DISABLED: "true" },
    });
    const exited = once(child, "exit");
    const pids = { hookyard: child.pid, redis: redis.pid, broker: brokerPid(broker), receiver: receiver.pid };
    let before;
    let stats = await receiver.stats();
    const deadline = Date.now() + 600_000;
    while (stats.total < EVENTS) {
      if (Date.now() > deadline) throw new Error(`${broker}: ${stats.total} of ${EVENTS} delivered in 10 minutes`);
      await sleep(stats.total === 0 ? 20 : 200);
      stats = await receiver.stats();
      if (process.env.HOOKYARD_BENCH_TRACE) {
        // Events accepted (durable in Redis) vs webhooks received: shows whether the backlog sits in the broker
        // (the source is behind) or in Redis (the scheduler is behind).
        const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
          (r) => r.text(),
          () => "",
        );
        const accepted = [...text.matchAll(/^hookyard_events_in_total\{[^}]*\} (\d+)/gm)].reduce(
          (a, m) => a + Number(m[1]),
          0,
        );
        console.error(`${broker} t=${Date.now()} accepted=${accepted} delivered=${stats.total}`);
      }
      if (before === undefined && stats.total > 0) {
        before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
      }
    }
    const after = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
    const cpuPer1000 = Object.fromEntries(
      Object.keys(pids).map((name) => [name, ((after[name] - (before?.[name] ?? 0)) / stats.total) * 1000]),
    );
    return { rate: (stats.total - 1) / ((stats.last - stats.first) / 1000), cpuPer1000 };
  } finally {
    await fixture.cleanup();
  }
}

// bench/scheduler's drain of the same deliveries (queued before its worker starts): the reference of the 80 % target.
function runDrain() {
  const output = execFileSync(
    process.execPath,
    [
      join(root, "bench/scheduler/scheduler-bench.mjs"),
      ...["--only", "drain", "--runs", "1", "--endpoints", String(ENDPOINTS), "--deliveries", String(EVENTS)],
      ...["--redis-server", args["redis-server"]],
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const figure = (label) => {
    const match = new RegExp(`${label}\\s+([\\d,.]+)`).exec(output);
    if (!match) throw new Error(`bench/scheduler printed no "${label}":\n${output}`);
    return Number(match[1].replaceAll(",", ""));
  };
  // µs per delivery = CPU ms per 1,000, the unit of the brokers' rows ("hookyard" is the worker process here).
  const perThousand = (label) => figure(label) / 1000;
  return {
    rate: figure("drain, one worker process:"),
    cpuPer1000: {
      hookyard: perThousand("worker CPU per delivery \\(µs\\):"),
      redis: perThousand("redis CPU per delivery \\(µs\\):"),
      broker: 0,
      receiver: perThousand("receiver CPU per delivery \\(µs\\):"),
    },
  };
}

const redis = await startPrivateRedis({ redisServer: args["redis-server"] });
const receiver = await startReceiver();
const brokers = [...(args.drain ? ["drain"] : []), ...args.brokers.split(",")];
const results = Object.fromEntries(brokers.map((broker) => [broker, []]));
try {
  // Runs interleaved (every broker once, then again): a shared machine's background load hits them all alike.
  for (let i = 0; i < Number(args.runs); i++) {
    for (const broker of brokers) {
      const profileDir = args.profile && i === 0 ? join(args.profile, broker) : undefined;
      if (broker === "drain") {
        results.drain.push(runDrain());
        continue;
      }
      results[broker].push(await run(broker, redis, receiver, i, profileDir));
      await redis.admin.flushall();
    }
  }
} finally {
  receiver.stop();
  await redis.stop();
}
const ceiling = results.synthetic ? median(results.synthetic.map((r) => r.rate)) : undefined;
const drain = results.drain ? median(results.drain.map((r) => r.rate)) : undefined;
for (const broker of brokers) {
  const rates = results[broker].map((r) => r.rate);
  const cpuOf = (name) => median(results[broker].map((r) => r.cpuPer1000[name]));
  const names = Object.keys(results[broker][0].cpuPer1000);
  const cpu = names.map((name) => `${name} ${cpuOf(name).toFixed(3)}`).join(", ");
  const shares = [];
  if (ceiling && broker !== "synthetic" && broker !== "drain") {
    shares.push(`${Math.round((median(rates) / ceiling) * 100)}% of synthetic`);
  }
  if (drain && broker !== "drain") shares.push(`${Math.round((median(rates) / drain) * 100)}% of the drain`);
  const label = broker === "drain" ? "drain (bench/scheduler, deliveries queued first)" : "end to end";
  console.log(
    `${broker.padEnd(9)} ${label}: median ${Math.round(median(rates))} events/s ` +
      `(runs: ${rates.map((r) => Math.round(r)).join(", ")}; ${EVENTS} events of 1 KiB to ${ENDPOINTS} endpoints` +
      `${shares.map((text) => `; ${text}`).join("")})\n` +
      `${"".padEnd(9)} CPU s per 1,000 events: ${cpu}`,
  );
  if (drain) {
    // What the 80 % target asks of this machine: every process's CPU for 0.8 × the drain's rate.
    const total = names.reduce((sum, name) => sum + cpuOf(name), 0);
    const cores = (total * 0.8 * drain) / 1000;
    console.log(
      `${"".padEnd(9)} all processes: ${total.toFixed(3)} CPU s per 1,000 events; 80% of the drain ` +
        `(${Math.round(0.8 * drain)}/s) would need ${cores.toFixed(2)} cores of this machine's ${availableParallelism()}`,
    );
  }
  if (args.profile) {
    const dir = join(args.profile, broker);
    const profile = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
    if (profile) {
      console.log(`${"".padEnd(9)} Hookyard CPU profile (self time, share of busy time):`);
      for (const { category, share: part } of summariseProfile(join(dir, profile), 12)) {
        console.log(`${"".padEnd(11)}${(part * 100).toFixed(1).padStart(5)}%  ${category}`);
      }
    }
  }
}
