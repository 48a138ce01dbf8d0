import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { freePort, repoRoot, runWatched } from "./hookyard-process.js";

const exec = promisify(execFile);

// The README's command lines, exactly as a newcomer copies them. Each must stand in README.md verbatim, so the
// README and this test cannot drift apart.
const README_LINES = {
  quickStart: "npm ci && npm start",
  validate: "npx hookyard validate -c hookyard.yaml",
  start: "npx hookyard start -c hookyard.yaml",
  describe: "npx hookyard describe [CONNECTOR]",
  send: `npx hookyard send --type order.created --data '{"id":1}' --api-key dev-ingest-key`,
  help: "npx hookyard --help",
} as const;

/** A fresh copy of the checkout: the files git tracks (as they are in the working tree) and untracked, unignored ones. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookyard-readme-"));
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
  });
  for (const file of listed.toString("utf8").split("\0")) {
    if (file === "") continue;
    const from = join(repoRoot, file);
    if (!statSync(from, { throwIfNoEntry: false })?.isFile()) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(from, join(dir, file));
  }
  return dir;
}

/** Runs one README line with `sh`, as a user's shell does. */
function sh(line: string, cwd: string, env: Record<string, string> = {}) {
  return exec("sh", ["-c", line], { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
}

describe("the README's commands, run literally in a fresh copy of the repository", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  let clone = "";

  before(async () => {
    clone = freshCopy();
    // The first half of both quick-start lines. `prepare` builds the workspace, so `npx hookyard` works right after.
    const { stdout, stderr } = await sh("npm ci --no-audit --no-fund", clone, { CI: "true" });
    assert.doesNotMatch(`${stdout}\n${stderr}`, /EBADENGINE/, "npm ci must not warn about engines");
  });
  after(() => {
    if (clone !== "") rmSync(clone, { recursive: true, force: true });
  });

  it("names each command line in README.md", () => {
    for (const line of Object.values(README_LINES)) assert.ok(readme.includes(line), `README.md lacks: ${line}`);
  });

  it("npx hookyard --help, validate and describe work right after npm ci", async () => {
    const help = await sh(README_LINES.help, clone);
    assert.match(help.stdout, /Usage:/);
    copyFileSync(join(clone, "config/hookyard.example.yaml"), join(clone, "hookyard.yaml"));
    await sh(README_LINES.validate, clone);
    const reference = await sh(README_LINES.describe.replace(" [CONNECTOR]", ""), clone);
    assert.match(reference.stdout, /server\.port/);
    const kafka = await sh(README_LINES.describe.replace("[CONNECTOR]", "kafka"), clone);
    assert.match(kafka.stdout, /brokers/);
  });

  it("npm start runs the demo; npx hookyard send gets an event delivered; SIGTERM stops it", async () => {
    const port = await freePort();
    const env = { HOOKYARD_PORT: String(port), DEMO_RECEIVER_PORT: String(await freePort()) };
    const npmStart = runWatched("sh", ["-c", README_LINES.quickStart.replace("npm ci && ", "")], {
      cwd: clone,
      env,
      group: true,
    });
    try {
      await npmStart.waitForLine(/^\s*curl -X POST /, 120_000);
      const sent = await sh(README_LINES.send, clone, { HOOKYARD_URL: `http://127.0.0.1:${port}` });
      assert.match(sent.stdout, /"deliveries":\s*1/);
      await npmStart.waitForLine(/demo receiver got a webhook/);
    } finally {
      npmStart.kill("SIGTERM");
    }
    await npmStart.exited;
    assert.match(npmStart.stdout(), /hookyard stopped/, npmStart.stderr());
  });

  it("npx hookyard start -c hookyard.yaml serves until SIGTERM, then exits 0", async () => {
    const port = await freePort();
    const start = runWatched("sh", ["-c", `exec ${README_LINES.start}`], {
      cwd: clone,
      env: { HOOKYARD_PORT: String(port) },
      group: true,
    });
    try {
      await start.waitForLine(/hookyard started/, 60_000);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      start.kill("SIGTERM");
    }
    const exit = await start.exited;
    assert.equal(exit.code, 0, start.stderr());
  });
});
