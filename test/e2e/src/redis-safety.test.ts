import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { writeConfigFile } from "./config-file.js";
import { TEST_SECRET } from "./gateway-fixture.js";
import { freePort, runHookyard } from "./hookyard-process.js";

// `hookyard start` against a private redis-server whose maxmemory-policy evicts: refused at start-up with exit
// 78 naming the setting, before anything is consumed or accepted.

describe("hookyard start refuses an evicting Redis", () => {
  let redis: ChildProcess;
  let dir: string;
  let url: string;
  before(async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "hookyard-redis-evict-"));
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--maxmemory-policy", "allkeys-lru"],
      { stdio: "ignore" },
    );
    await waitFor("the private redis-server", async () => {
      const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
      client.on("error", () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === "PONG" ? true : undefined;
      } catch {
        return undefined;
      } finally {
        client.disconnect();
      }
    });
  });
  after(async () => {
    const exited = once(redis, "exit");
    redis.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 78 naming maxmemory-policy and why", async () => {
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port: 0 },
      log: { level: "info", format: "json" },
      redis: { url },
      endpoints: [{ id: "a", url: "https://hooks.example.com/a", secrets: [TEST_SECRET] }],
    });
    const hookyard = runHookyard(["start", "-c", file]);
    const { code } = await hookyard.exited;
    const output = `${hookyard.stdout()}\n${hookyard.stderr()}`;
    assert.equal(code, 78, output);
    assert.match(output, /maxmemory-policy allkeys-lru/);
    assert.match(output, /noeviction/);
    assert.doesNotMatch(output, /hookyard started/);
  });
});
