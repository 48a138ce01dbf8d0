// Summarises a V8 .cpuprofile (from node --cpu-prof) by where the code lives: which package, connector, client
// library or Node internal took the CPU (self time), as a share of the busy (non-idle) time.
import { readFileSync } from "node:fs";

function categoryOf(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(program)") return "V8/native (program)";
    return "native code (I/O writes, string encoding, …)";
  }
  const hookyard = /\/(packages|connectors)\/([^/]+)\//.exec(url);
  if (hookyard && !url.includes("node_modules")) {
    return hookyard[1] === "connectors" ? `connector-${hookyard[2]}` : `@hookyard/${hookyard[2]}`;
  }
  const modules = url.split("node_modules/");
  if (modules.length > 1) {
    const rest = modules[modules.length - 1];
    const parts = rest.split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith("node:internal/modules")) return "module loading (start-up)";
  if (url.startsWith("node:")) {
    const name = url.slice(5).replace(/^internal\//, "");
    return `node:${name.split("/")[0].replace(/\.js$/, "")}`;
  }
  return url;
}

/** Returns [{ category, ms, share }] sorted by time, for the busy time of the profile. */
export function summariseProfile(file, top = 14) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const category = categoryOf(node.callFrame);
    selfMs.set(category, (selfMs.get(category) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  selfMs.delete("(idle)");
  const busy = [...selfMs.values()].reduce((a, b) => a + b, 0);
  return [...selfMs.entries()]
    .map(([category, ms]) => ({ category, ms, share: ms / busy }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const { category, ms, share } of summariseProfile(process.argv[2], Number(process.argv[3] ?? 20))) {
    console.log(`${(share * 100).toFixed(1).padStart(5)}%  ${Math.round(ms).toString().padStart(7)} ms  ${category}`);
  }
}
