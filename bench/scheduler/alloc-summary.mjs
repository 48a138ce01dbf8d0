#!/usr/bin/env node
// Summarises a sampling allocation profile written by worker-main.mjs (HOOKYARD_BENCH_ALLOC_PROFILE=FILE) as KB
// allocated per delivery: by package, by function, and by the nearest @hookyard frame on the stack.
// With HOOKYARD_BENCH_ALLOC_PROFILE_MINOR=0 the profile leaves out objects that died young (in a scavenge), so it
// shows what lived long enough to be promoted to the old generation: the garbage that makes RSS grow.
// Usage: node bench/scheduler/alloc-summary.mjs FILE DELIVERIES
import { readFileSync } from "node:fs";

const { head } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const self = new Map();
const pkg = new Map();
let total = 0;
const stackTop = new Map();
function label(cf) {
  const url = cf.url || "(native)";
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/) || url.match(/\/(packages|connectors)\/([^/]+)/);
  const p = m
    ? m[2]
      ? `@hookyard/${m[2]}`
      : m[1]
    : url.startsWith("node:")
      ? `node:${url.slice(5).split("/")[0]}`
      : url || "(native)";
  return [p, `${cf.functionName || "(anon)"} ${url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}`];
}
function walk(node, path) {
  const [p, f] = label(node.callFrame);
  const size = node.selfSize;
  total += size;
  self.set(f, (self.get(f) ?? 0) + size);
  const nearest = [...path, `${p}|${f}`].reverse().find((x) => x.startsWith("@hookyard/"));
  stackTop.set(nearest ?? "(none)", (stackTop.get(nearest ?? "(none)") ?? 0) + size);
  pkg.set(p, (pkg.get(p) ?? 0) + size);
  for (const c of node.children) walk(c, [...path, `${p}|${f}`]);
}
walk(head, []);
const n = Number(process.argv[3] ?? 40000);
const show = (m, k) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .forEach(([x, v]) => {
      console.log(`${(v / n / 1024).toFixed(2).padStart(7)} KB/delivery  ${x}`);
    });
console.log(`total ${(total / n / 1024).toFixed(1)} KB per delivery`);
console.log("-- by package (self)");
show(pkg, 12);
console.log("-- by function (self)");
show(self, 25);
console.log("-- by nearest @hookyard frame");
show(stackTop, 20);
