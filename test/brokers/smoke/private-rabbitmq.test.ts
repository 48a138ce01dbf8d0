import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { privateRabbitMq } from "../src/index.js";

// The harness's own unhappy path: a node that exits while booting (CI once saw one exit with status 0 when its
// distribution port was taken) must fail the test at once with the node's log, after trying new ports, instead of
// polling a dead node until the two-minute timeout. A stand-in server script plays the node that exits.
describe("private RabbitMQ harness, when the node exits while starting", () => {
  let dir: string;
  const saved = process.env.HOOKYARD_RABBITMQ_SERVER;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hookyard-fake-rabbitmq-"));
    const script = join(dir, "rabbitmq-server");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        `echo "$RABBITMQ_DIST_PORT" >> ${join(dir, "attempts")}`,
        'mkdir -p "$RABBITMQ_LOG_BASE"',
        'echo "ERROR: distribution port $RABBITMQ_DIST_PORT in use" > "$RABBITMQ_LOG_BASE/node.log"',
        "exit 0",
        "",
      ].join("\n"),
    );
    chmodSync(script, 0o755);
    process.env.HOOKYARD_RABBITMQ_SERVER = script;
  });
  after(() => {
    if (saved === undefined) delete process.env.HOOKYARD_RABBITMQ_SERVER;
    else process.env.HOOKYARD_RABBITMQ_SERVER = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("tries three times on new ports, then fails naming the exit and quoting the node's log", async () => {
    await assert.rejects(privateRabbitMq(), (error: Error) => {
      assert.match(error.message, /the process exited \(status 0\) before it answered/);
      assert.match(error.message, /its log ends:\nERROR: distribution port \d+ in use/);
      return true;
    });
    const distPorts = readFileSync(join(dir, "attempts"), "utf8").trim().split("\n").map(Number);
    assert.equal(distPorts.length, 3);
    for (const port of distPorts) assert.ok(port >= 20_000 && port < 32_768, `${port} is below the ephemeral range`);
  });
});
