#!/usr/bin/env node
// Runs every compiled test file of the workspace in one `node --test` run, so there is one summary at the end.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. `npm test -- packages/scheduler`
// Node 20's --test takes no globs, so the files are listed here.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const workspaceDirs = ["packages", "connectors", "test"];

function* findTestFiles(dir, insideDist) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* findTestFiles(path, insideDist || entry.name === "dist");
    else if (insideDist && entry.name.endsWith(".test.js")) yield path;
  }
}

const filters = process.argv.slice(2);
const files = workspaceDirs
  .filter((dir) => statSync(join(root, dir), { throwIfNoEntry: false })?.isDirectory())
  .flatMap((dir) => [...findTestFiles(join(root, dir), false)])
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((prefix) => file.startsWith(prefix)))
  .sort();

if (files.length === 0) {
  console.error(
    `no compiled test files found${filters.length ? ` under ${filters.join(", ")}` : ""}; run \`npm run build\` first`,
  );
  process.exit(1);
}

const args = [
  "--test",
  "--test-reporter=spec",
  `--test-concurrency=${process.env.HOOKYARD_TEST_CONCURRENCY ?? "2"}`,
  `--test-timeout=${process.env.HOOKYARD_TEST_TIMEOUT_MS ?? "180000"}`,
  ...files,
];
// Cloud SDKs probe instance-metadata addresses for credentials; tests talk to local fakes only, so turn that off.
const env = {
  METADATA_SERVER_DETECTION: "none",
  AWS_EC2_METADATA_DISABLED: "true",
  ...process.env,
};
const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit", env });
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
