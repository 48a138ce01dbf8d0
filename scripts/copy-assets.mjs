#!/usr/bin/env node
// Copies a folder of non-TypeScript assets (Lua scripts, dashboard files) into dist during a package's build.
import { cpSync, existsSync } from "node:fs";

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error("usage: copy-assets.mjs FROM TO");
  process.exit(2);
}
if (existsSync(from)) cpSync(from, to, { recursive: true });
