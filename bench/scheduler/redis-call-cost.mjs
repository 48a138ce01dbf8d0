#!/usr/bin/env node
// What the pieces of a script call cost Redis, in instructions (callgrind, so the same on a busy machine): one
// script call with nothing in it, the scripts' shared prelude (keys.ts's key functions, lib/*.lua: run on every
// call), one redis.call of a read and of a write (AOF on, everysec, as production), and a 1 KiB value passing
// through Lua (HGET into Lua and HSET out of it, against the same with 10 bytes). Where redis-phases.mjs says how
// much a phase costs, this says what it is made of: the floor under a script call and the price of one inner call.
//   node bench/scheduler/redis-call-cost.mjs [--calls 2000] [--inner 2000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { scriptLibrary, scriptSources } from "../../packages/scheduler/dist/redis/scripts.js";
import { startPrivateRedis } from "../private-redis.mjs";

const { values: args } = parseArgs({
  options: { calls: { type: "string", default: "2000" }, inner: { type: "string", default: "2000" } },
});
const CALLS = Number(args.calls);
const INNER = Number(args.inner);
const dir = mkdtempSync(join(tmpdir(), "hookyard-callcost-"));
const redis = await startPrivateRedis({
  wrapper: ["valgrind", "--tool=callgrind", "--dump-instr=no", `--callgrind-out-file=${dir}/cg.%p`],
});

function instructionsSinceLast() {
  execFileSync("callgrind_control", ["-d", String(redis.pid)], { stdio: "ignore" });
  const dumps = readdirSync(dir).filter((f) => /^cg\.\d+\.\d+$/.test(f));
  const last = dumps.sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2])).at(-1);
  const text = readFileSync(join(dir, last ?? ""), "utf8");
  return Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Instructions per unit of `body` (run `units` times in all), less an empty script call each time it is called. */
async function measure(body, units) {
  instructionsSinceLast();
  await body();
  return instructionsSinceLast() / units;
}

const a = redis.admin;
const empty = "#!lua flags=allow-oom\nreturn 1";
// The prelude as every script runs it: `time` is the smallest script (it only reads TIME after the prelude).
const prelude = scriptSources().time;
const [emptySha, preludeSha] = await Promise.all([a.script("LOAD", empty), a.script("LOAD", prelude)]);
const loop = (call) => `#!lua flags=allow-oom\nfor i = 1, tonumber(ARGV[1]) do ${call} end\nreturn 1`;
const big = "x".repeat(1024);
await a.hset("h", "big", big, "small", "x".repeat(10));

const rows = [];
const perCall = await measure(async () => {
  for (let i = 0; i < CALLS; i++) await a.evalsha(emptySha, 0);
}, CALLS);
rows.push(["EVALSHA of an empty script (command, reply, round trip)", perCall]);
rows.push([
  "the prelude, on top of that (every script call)",
  (await measure(async () => {
    for (let i = 0; i < CALLS; i++) await a.evalsha(preludeSha, 1, "{bench}:x", "{bench}:");
  }, CALLS)) - perCall,
]);
// The same scripts as the store runs them: one Function library (FUNCTION LOAD runs the prelude once), then an
// FCALL per operation (script-runner.ts).
const library = scriptLibrary();
await a.call("FUNCTION", "LOAD", "REPLACE", library.source);
rows.push([
  "FCALL of the library's time script, less the empty script",
  (await measure(async () => {
    for (let i = 0; i < CALLS; i++) await a.call("FCALL", library.functionOf("time"), 1, "{bench}:x", "{bench}:");
  }, CALLS)) - perCall,
]);
const timeOnly = await a.script("LOAD", "#!lua flags=no-writes\nreturn redis.call('TIME')");
rows.push([
  "EVALSHA of TIME alone, less the empty script",
  (await measure(async () => {
    for (let i = 0; i < CALLS; i++) await a.evalsha(timeOnly, 0);
  }, CALLS)) - perCall,
]);
const inner = async (call) => (await measure(() => a.eval(loop(call), 0, INNER), INNER)) - perCall / INNER;
rows.push(["redis.call EXISTS (a read)", await inner('redis.call("EXISTS", "h")')]);
rows.push(["redis.call HSET of 10 bytes (a write: AOF)", await inner('redis.call("HSET", "w", "s", "0123456789")')]);
rows.push(["redis.call HGET of 10 bytes into Lua", await inner('redis.call("HGET", "h", "small")')]);
rows.push(["redis.call HGET of 1 KiB into Lua", await inner('redis.call("HGET", "h", "big")')]);
rows.push([
  "HGET 1 KiB into Lua and HSET it out",
  await inner('redis.call("HSET", "w", "e", redis.call("HGET", "h", "big"))'),
]);
rows.push([
  "HGET 10 B into Lua and HSET it out",
  await inner('redis.call("HSET", "w", "e", redis.call("HGET", "h", "small"))'),
]);
// The settle's envelope (issue 12): today it passes through Lua into the outbox entry; a settle could instead
// rename the delivery's hash (the envelope stays where it is: no copy) and add a small entry naming it. Each
// iteration copies a fresh 1 KiB hash from a template, settles it and deletes what it left (the hash, or the
// renamed hash as the hand-off's acknowledgement would); the copy and the delete alone are subtracted.
await a.hset("tpl", "s", "x".repeat(100), "env", big);
const copyAndDelete = await inner('redis.call("COPY", "tpl", "d") redis.call("DEL", "d")');
rows.push([
  "settle: HGET the 1 KiB env into Lua, XADD it with a header",
  (await inner(
    'redis.call("COPY", "tpl", "d") local e = redis.call("HGET", "d", "env") ' +
      'redis.call("XADD", "o", "*", "h", "0123456789", "env", e) redis.call("DEL", "d")',
  )) - copyAndDelete,
]);
rows.push([
  "settle: RENAME the hash, XADD a header naming it",
  (await inner(
    'redis.call("COPY", "tpl", "d") redis.call("RENAME", "d", "r") ' +
      'redis.call("XADD", "oi", "*", "h", "0123456789", "r", "r") redis.call("DEL", "r")',
  )) - copyAndDelete,
]);

// What reading the envelope outside Lua would cost instead: HGETs pipelined 100 to a write, as a store would send
// them with a claim (no read event or round trip of their own).
const pipelined = async (field) =>
  measure(async () => {
    for (let i = 0; i < CALLS; i += 100) {
      const pipeline = a.pipeline();
      for (let j = 0; j < 100; j++) pipeline.hget("h", field);
      await pipeline.exec();
    }
  }, CALLS);
rows.push(["HGET of 1 KiB pipelined, outside Lua (a command of its own)", await pipelined("big")]);
rows.push(["HGET of 10 bytes pipelined, outside Lua", await pipelined("small")]);

console.log(`instructions (user space, callgrind) per unit; ${CALLS} script calls, ${INNER} inner calls per loop`);
for (const [name, value] of rows)
  console.log(`${name.padEnd(58)} ${Math.round(value).toLocaleString("en").padStart(9)}`);
await redis.stop();
rmSync(dir, { recursive: true, force: true });
