#!/usr/bin/env node
// Interleaved A/B of the drain: this checkout's scheduler-bench.mjs against another checkout's (e.g. main before
// issue 12, built in a directory of its own), one run each in turn, so load from a shared machine hits both alike.
//   git worktree add --detach /tmp/hy-base bb8dae1 && (cd /tmp/hy-base && npm ci && npx turbo run build \
//     --filter=@hookyard/scheduler... --filter=@hookyard/delivery...)
//   node bench/scheduler/interleave.mjs --base /tmp/hy-base --runs 3 [-- --deliveries 20000 --endpoints 1000]
// Prints each run's drain rate and the medians; the arguments after `--` go to both benches (--only drain --runs 1
// are always given).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: args, positionals } = parseArgs({
  options: { base: { type: "string" }, runs: { type: "string", default: "3" } },
  allowPositionals: true,
});
if (!args.base) throw new Error("--base DIR: the other checkout (built) to compare with");
const checkouts = { this: resolve(new URL("../..", import.meta.url).pathname), base: resolve(args.base) };
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

function runOnce(dir) {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["bench/scheduler/scheduler-bench.mjs", "--only", "drain", "--runs", "1", ...positionals],
      { cwd: dir, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`${dir}: bench exited ${code}\n${out}`));
      const rate = /drain, one worker process:\s+([\d,.]+)/.exec(out)?.[1];
      if (!rate) return fail(new Error(`${dir}: no drain figure in\n${out}`));
      done({ rate: Number(rate.replaceAll(",", "")), out });
    });
  });
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rates = { this: [], base: [] };
for (let run = 1; run <= Number(args.runs); run++) {
  // Alternate which goes first, so neither always runs right after the other's teardown.
  const order = run % 2 ? ["this", "base"] : ["base", "this"];
  for (const which of order) {
    const before = load();
    const { rate, out } = await runOnce(checkouts[which]);
    rates[which].push(rate);
    console.log(`run ${run} ${which.padEnd(4)} ${rate.toFixed(0)} deliveries/s (load average ${before})`);
    if (process.env.HOOKYARD_BENCH_VERBOSE) console.log(out);
  }
}
const m = { this: median(rates.this), base: median(rates.base) };
console.log(`\nthis (${checkouts.this}): median ${m.this.toFixed(0)}/s; runs ${rates.this.map(Math.round).join(", ")}`);
console.log(`base (${checkouts.base}): median ${m.base.toFixed(0)}/s; runs ${rates.base.map(Math.round).join(", ")}`);
console.log(
  `this / base: ${(m.this / m.base).toFixed(3)} (per pair: ${rates.this.map((r, i) => (r / rates.base[i]).toFixed(2)).join(", ")})`,
);
