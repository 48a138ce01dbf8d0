#!/usr/bin/env node
// Bundles the dashboard (dashboard/src, plain TypeScript + DOM, no framework) with esbuild into dist/dashboard,
// next to the compiled plugin that serves it. Type checking is `tsc -p dashboard/tsconfig.json` (npm run build).
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const out = new URL("./dist/dashboard/", import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL("./dashboard/src/main.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  outfile: new URL("app.js", out).pathname,
  logLevel: "warning",
});
for (const file of ["index.html", "app.css"])
  copyFileSync(new URL(`./dashboard/${file}`, import.meta.url), new URL(file, out));
