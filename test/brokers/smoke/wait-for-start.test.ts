import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { ExitedWhileStarting, waitForStart } from "../src/index.js";

// Every harness that spawns a server (Redis, cluster nodes, PostgreSQL, RabbitMQ) waits for it with waitForStart:
// a server that dies while starting must fail the test at once and say how it ended, not after the timeout.
describe("waitForStart", () => {
  it("fails at once, naming the exit status, when the process exits before the probe succeeds", async () => {
    const child = spawn(process.execPath, ["-e", "process.exit(3)"], { stdio: "ignore" });
    await assert.rejects(
      waitForStart("a server that exits", child, () => undefined, { timeoutMs: 600_000, intervalMs: 10 }),
      (error: Error) =>
        error instanceof ExitedWhileStarting &&
        error.message === "a server that exits: the process exited (status 3) before it answered",
    );
  });

  it("names the signal of a process killed while starting", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const probe = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return undefined;
    };
    await assert.rejects(
      waitForStart("a server killed", child, probe, { timeoutMs: 600_000, intervalMs: 10 }),
      /a server killed: the process exited \(SIGKILL\) before it answered/,
    );
  });

  it("resolves with the probe's value while the process runs", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      let probes = 0;
      const value = await waitForStart("a server", child, () => (++probes >= 3 ? "up" : undefined), { intervalMs: 1 });
      assert.equal(value, "up");
    } finally {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  });
});
