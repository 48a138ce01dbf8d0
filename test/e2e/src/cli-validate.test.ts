import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { scratchDir } from "@hookyard/test-brokers";
import { cliPath, repoRoot, runHookyard } from "./hookyard-process.js";

const SECRET = "whsec_ZGVtby1zZWNyZXQtZm9yLWxvY2FsLXVzZS1vbmx5";
const dir = scratchDir("hookyard-validate");

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function run(args: string[]) {
  const hookyard = runHookyard(args);
  const { code } = await hookyard.exited;
  return { code, stdout: hookyard.stdout(), stderr: hookyard.stderr() };
}

const VALID = `
endpoints:
  - id: billing
    url: https://billing.example.com/hooks
    secrets: [${SECRET}]
    policy: { timeout: 10s, retry: { schedule: [0, 5s, 1m] } }
subscriptions:
  - id: orders
    endpoints: [billing]
    types: ["order.*"]
`;

describe("hookyard validate finds what start would refuse, all at once", () => {
  it("a Kafka source without topics fails validate (78) naming the key, as start does", async () => {
    const file = configFile(
      "kafka-no-topics.yaml",
      `${VALID}sources:\n  - id: orders\n    type: kafka\n    config: { brokers: ["127.0.0.1:1"], groupId: g }\n`,
    );
    for (const command of ["validate", "start"]) {
      const result = await run([command, "-c", file]);
      assert.equal(result.code, 78, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /sources\[0\]\.config\.topics: expected at least one topic to consume/);
    }
  });

  it("a list written as a string names the key instead of a JSON parse error", async () => {
    const file = configFile("types-string.yaml", VALID.replace('types: ["order.*"]', "types: order.*"));
    const result = await run(["validate", "-c", file]);
    assert.equal(result.code, 78, result.stderr);
    assert.match(
      result.stderr,
      /subscriptions\[0\]\.types: expected a list, e\.g\. \["order\.\*"\].*found "order\.\*"/,
    );
    assert.doesNotMatch(result.stderr, /JSON|Unexpected token/);
  });

  it("an undefined ingress route target is reported with the other problems, not after them", async () => {
    const file = configFile(
      "route-target.yaml",
      `server: { port: not-a-port }
ingress:
  routes:
    - id: github
      path: /ingress/github
      verifier: { type: github, secrets: ["github-secret-0123"] }
      rules: [{ match: { headers.x-github-event: push }, targets: [deploy-events] }]
${VALID}`,
    );
    const result = await run(["validate", "-c", file]);
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /server\.port: /);
    assert.match(
      result.stderr,
      /ingress\.routes\[0\]\.rules\[0\]\.targets\[0\]: .*"deploy-events", which is not defined/,
    );
  });

  it("prints the config in the keys users write, with written units", async () => {
    const result = await run(["validate", "-c", configFile("valid.yaml", VALID)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /shutdownGrace: 30s/);
    assert.match(result.stdout, /timeout: 10s/);
    assert.match(result.stdout, /schedule:\n\s+- 0\n\s+- 5s\n\s+- 1m/);
    assert.doesNotMatch(result.stdout, /shutdownGraceMs|timeoutMs|scheduleMs|leaseMs|tokenTtlMs/);
    assert.doesNotMatch(result.stdout, /ZGVtby1zZWNyZXQ/, "secrets stay redacted");
  });

  it("a reader that leaves (validate | head) is not a crash: no EPIPE, the command's own exit code", async () => {
    // A FIFO whose only reader is closed before hookyard writes: every write fails with EPIPE, deterministically.
    const fifo = join(dir, "stdout.fifo");
    execFileSync("mkfifo", [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    const child = spawn(process.execPath, [cliPath, "validate", "-c", configFile("piped.yaml", VALID)], {
      cwd: repoRoot,
      stdio: ["ignore", writer, "pipe"],
    });
    closeSync(writer);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  });

  it("describe with an unknown connector is a usage error (64) suggesting the close built-in, not an npm install", async () => {
    const result = await run(["describe", "kafak"]);
    assert.equal(result.code, 64, result.stderr);
    assert.match(result.stderr, /did you mean "kafka"\?/);
    assert.doesNotMatch(result.stderr, /npm install/);
  });

  it("schema prints the config's JSON Schema, the one committed as docs/config.schema.json", async () => {
    const result = await run(["schema"]);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as { $schema: string; properties: Record<string, unknown> };
    assert.equal(printed.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.deepEqual(printed, JSON.parse(readFileSync(join(repoRoot, "docs/config.schema.json"), "utf8")));
  });

  it("a YAML alias bomb is a config problem (78) with a clear message, not a stack trace", async () => {
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let level = 1; level <= 12; level++) {
      levels.push(
        `l${level}: &l${level} [${Array(9)
          .fill(`*${level === 1 ? "a" : `l${level - 1}`}`)
          .join(", ")}]`,
      );
    }
    const result = await run(["validate", "-c", configFile("bomb.yaml", `${levels.join("\n")}\n`)]);
    assert.equal(result.code, 78, result.stderr);
    assert.match(
      result.stderr,
      /bomb\.yaml: expected YAML aliases .* found aliases that expand without bound \(an alias bomb\)/,
    );
    assert.doesNotMatch(result.stderr, /ReferenceError|\n\s+at /);
  });
});
