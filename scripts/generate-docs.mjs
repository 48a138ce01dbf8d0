#!/usr/bin/env node
// Writes docs/config.md from the convict schemas (the runtime's keys and every built-in connector's).
// Usage: npm run docs            (after `npm run build`)
//        node scripts/generate-docs.mjs --check   exits 1 when docs/config.md is out of date (used by a test)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = `${root}docs/config.md`;

let runtime;
try {
  runtime = await import(new URL("../packages/runtime/dist/index.js", import.meta.url).href);
} catch (error) {
  console.error(`cannot load packages/runtime/dist: ${error.message}\nrun \`npm run build\` first`);
  process.exit(2);
}
// The runtime lists its built-in connectors; until it does, the reference has the runtime's keys only.
const connectors = Array.isArray(runtime.builtInConnectors) ? runtime.builtInConnectors : [];
const rendered = runtime.renderConfigReference(connectors);

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // A missing file is out of date too.
  }
  if (current !== rendered) {
    console.error("docs/config.md is out of date: run `npm run docs` and commit the result");
    process.exit(1);
  }
  console.log("docs/config.md is up to date");
} else {
  writeFileSync(target, rendered);
  console.log(`wrote docs/config.md (${connectors.length} connectors)`);
}
