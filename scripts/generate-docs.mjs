#!/usr/bin/env node
// Writes docs/config.md from the convict schemas (the runtime's keys and every built-in connector's) and
// docs/errors.md from core's error-code registry.
// Usage: npm run docs            (after `npm run build`)
//        node scripts/generate-docs.mjs --check   exits 1 when a generated page is out of date (used by a test)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

let runtime;
try {
  runtime = await import(new URL("../packages/runtime/dist/index.js", import.meta.url).href);
} catch (error) {
  console.error(`cannot load packages/runtime/dist: ${error.message}\nrun \`npm run build\` first`);
  process.exit(2);
}
// The runtime lists its built-in connectors; until it does, the reference has the runtime's keys only.
const connectors = Array.isArray(runtime.builtInConnectors) ? runtime.builtInConnectors : [];
const pages = [
  { path: "docs/config.md", text: runtime.renderConfigReference(connectors), what: `${connectors.length} connectors` },
  { path: "docs/errors.md", text: runtime.renderErrorReference(), what: "error codes" },
];

let stale = 0;
for (const page of pages) {
  const target = `${root}${page.path}`;
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(target, "utf8");
    } catch {
      // A missing file is out of date too.
    }
    if (current !== page.text) {
      console.error(`${page.path} is out of date: run \`npm run docs\` and commit the result`);
      stale += 1;
    } else {
      console.log(`${page.path} is up to date`);
    }
  } else {
    writeFileSync(target, page.text);
    console.log(`wrote ${page.path} (${page.what})`);
  }
}
if (stale > 0) process.exit(1);
