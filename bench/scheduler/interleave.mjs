#!/usr/bin/env node
// Interleaved A/B of a scheduler-bench scenario: this checkout's scheduler-bench.mjs against another checkout's
// (e.g. main before issue 12, built in a directory of its own), one run each in turn, so load from a shared
// machine hits both alike.
//   git worktree add --detach /tmp/hy-base bb8dae1 && (cd /tmp/hy-base && npm ci && npx turbo run build \
//     --filter=@hookyard/scheduler... --filter=@hookyard/delivery...)
//   node bench/scheduler/interleave.mjs --base /tmp/hy-base --runs 3 [-- --deliveries 20000 --endpoints 1000]
//   node bench/scheduler/interleave.mjs --base /tmp/hy-base --scenario steady --runs 3 -- --seconds 20 \
//     --deliveries 10000 --max-in-flight 200 --idle-seconds 1
// Prints each run's figures and the medians; the arguments after `--` go to both benches (--only <scenario>
// --runs 1 are always given). The base runs its own bench/scheduler scripts: to measure a base with this
// checkout's bench (e.g. a figure the base's bench does not print), give it a directory holding a copy of this
// bench/ and a `node_modules` symlink to the built base's (Node resolves @hookyard/* through it).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: args, positionals } = parseArgs({
  options: {
    base: { type: "string" },
    runs: { type: "string", default: "3" },
    scenario: { type: "string", default: "drain" },
  },
  allowPositionals: true,
});
if (!args.base) throw new Error("--base DIR: the other checkout (built) to compare with");
const checkouts = { this: resolve(new URL("../..", import.meta.url).pathname), base: resolve(args.base) };
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

const number = (text) => Number(text.replaceAll(",", ""));
/** The figures each scenario's output is read for: name → the regex of its median (first number after a label). */
const FIGURES = {
  drain: { rate: /drain, one worker process:\s+([\d,.]+)/ },
  steady: {
    ratio: /ratio steady \/ drain, worker \+ redis \(per pair\): ([\d,.]+)/,
    ratioWithReceiver: /ratio steady \/ drain, with the receiver \(per pair\): ([\d,.]+)/,
    ratioBefore: /ratio as measured before [^:]*: ([\d,.]+)/,
    steadyCpuUs: /CPU µs per delivery, steady: worker \+ redis ([\d,.]+)/,
    steadyWorkerUs: /CPU µs per delivery, steady: [^\n]*\(worker ([\d,.]+)/,
    steadyRedisUs: /CPU µs per delivery, steady: [^\n]*, redis ([\d,.]+)/,
    drainCpuUs: /CPU µs per delivery, drain: worker \+ redis ([\d,.]+)/,
    claims: /store calls per delivery, steady: claims ([\d,.]+)/,
    completes: /store calls per delivery, steady: [^\n]*completes ([\d,.]+)/,
    redisReads: /store calls per delivery, steady: [^\n]*Redis read events ([\d,.]+)/,
    workerWakeUps: /store calls per delivery, steady: [^\n]*worker event-loop wake-ups \(main thread\) ([\d,.]+)/,
    scriptCalls: /store calls per delivery, steady: [^\n]*Redis script calls and outbox reads ([\d,.]+)/,
    p50: /steady p50 \/ p99: ([\d,.]+)/,
    p99: /steady p50 \/ p99: [^/]*\/ ([\d,.]+)/,
  },
}[args.scenario];
if (!FIGURES) throw new Error(`--scenario drain or steady, not ${args.scenario}`);

function runOnce(dir) {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["bench/scheduler/scheduler-bench.mjs", "--only", args.scenario, "--runs", "1", ...positionals],
      { cwd: dir, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`${dir}: bench exited ${code}\n${out}`));
      const figures = {};
      for (const [name, pattern] of Object.entries(FIGURES)) {
        const found = pattern.exec(out)?.[1];
        if (!found) return fail(new Error(`${dir}: no ${name} figure in\n${out}`));
        figures[name] = number(found);
      }
      done({ figures, out });
    });
  });
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const format = (figures) =>
  Object.entries(figures)
    .map(([name, value]) => `${name} ${value.toLocaleString("en", { maximumFractionDigits: 2 })}`)
    .join(", ");
const runs = { this: [], base: [] };
for (let run = 1; run <= Number(args.runs); run++) {
  // Alternate which goes first, so neither always runs right after the other's teardown.
  const order = run % 2 ? ["this", "base"] : ["base", "this"];
  for (const which of order) {
    const before = load();
    const { figures, out } = await runOnce(checkouts[which]);
    runs[which].push(figures);
    console.log(`run ${run} ${which.padEnd(4)} ${format(figures)} (load average ${before})`);
    if (process.env.HOOKYARD_BENCH_VERBOSE) console.log(out);
  }
}
for (const which of ["this", "base"]) {
  const medians = Object.fromEntries(
    Object.keys(FIGURES).map((name) => [name, median(runs[which].map((figures) => figures[name]))]),
  );
  console.log(`\n${which} (${checkouts[which]}): medians ${format(medians)}`);
  for (const name of Object.keys(FIGURES)) {
    console.log(`  ${name}: runs ${runs[which].map((figures) => figures[name]).join(", ")}`);
  }
}
const first = Object.keys(FIGURES)[0];
console.log(
  `\nthis / base, ${first}: ${(median(runs.this.map((f) => f[first])) / median(runs.base.map((f) => f[first]))).toFixed(3)} (per pair: ${runs.this.map((f, i) => (f[first] / runs.base[i][first]).toFixed(2)).join(", ")})`,
);
