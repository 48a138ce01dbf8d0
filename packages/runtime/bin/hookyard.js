#!/usr/bin/env node
// The `hookyard` command. Hookyard runs on Node.js 24 LTS. In a checkout of the repository on an older Node (the
// machine's Debian or end-of-life Node 20), this runs itself again under scripts/with-node24, which installs Node 24
// from the npm registry once; anywhere else it says what to install. This file imports nothing that needs Node 24,
// so it can say so on any Node.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);

if (major < REQUIRED_MAJOR) {
  const withNode24 = fileURLToPath(new URL("../../../scripts/with-node24", import.meta.url));
  if (!existsSync(withNode24)) {
    process.stderr.write(`hookyard: needs Node.js ${REQUIRED_MAJOR} or newer; this is ${process.version}\n`);
    process.exit(1);
  }
  const child = spawn(withNode24, ["node", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  // A supervisor's SIGTERM reaches this process, not the child: pass it on so `start` still drains gracefully.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const cli = new URL("../dist/cli.js", import.meta.url);
  if (!existsSync(fileURLToPath(cli))) {
    process.stderr.write("hookyard: not built yet; run `npm run build` in the repository first\n");
    process.exit(1);
  }
  const { main } = await import(cli.href);
  await main();
}
