// A redis-server of the benchmark's own (free port, temp dir), so INFO commandstats and CPU count only the bench
// and the shared test Redis is left alone. Shared by bench/scheduler, bench/brokers and bench/admin.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

// Servers not stopped yet. An interrupted bench (Ctrl-C, a `timeout`'s SIGTERM) must not leave them running: an
// orphaned one keeps using CPU and skews the next bench's figures (a callgrind'ed one kept a core busy 20 minutes).
const running = new Set();
let cleanupInstalled = false;
function killRunningOnExit() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = () => {
    for (const server of running) server.killNow();
  };
  process.on("exit", killAll);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ]) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

/**
 * Starts redis-server and waits until it answers. `aof`: appendonly yes with appendfsync everysec (what a
 * production Redis for Hookyard runs); otherwise no persistence at all. Never RDB snapshots.
 * `extraArgs`: more redis-server arguments (bench/sharding: `--cluster-enabled yes`). `wrapper`: a command line
 * redis-server runs under (bench/scheduler/redis-phases.mjs --callgrind: valgrind), its pid being the server's.
 * Returns { url, port, pid, admin (an ioredis client), cpuMicros(), stop(), killNow() (synchronous, for an "exit"
 * handler) }.
 */
export async function startPrivateRedis({
  redisServer = "redis-server",
  aof = true,
  extraArgs = [],
  wrapper = [],
} = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "hookyard-bench-redis-"));
  const persistence = aof ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"];
  const [command, ...commandArgs] = [...wrapper, redisServer];
  const child = spawn(
    command,
    [
      ...commandArgs,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      ...persistence,
      "--save",
      "",
      "--loglevel",
      "warning",
      ...extraArgs,
    ],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  // ioredis reconnects while redis-server starts.
  const admin = new Redis(url, { retryStrategy: () => 50 });
  admin.on("error", () => {});
  for (let i = 0; (await admin.ping().catch(() => "")) !== "PONG"; i++) {
    if (i > 300) throw new Error(`${redisServer} did not answer on port ${port} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const server = {
    url,
    port,
    pid: child.pid,
    admin,
    /** The server's CPU so far (INFO cpu: used_cpu_user + used_cpu_sys), in µs. */
    async cpuMicros() {
      const info = await admin.info("cpu");
      const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
      return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
    },
    async stop() {
      running.delete(server);
      admin.disconnect();
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
      rmSync(dir, { recursive: true, force: true });
    },
    killNow() {
      running.delete(server);
      admin.disconnect();
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(server);
  killRunningOnExit();
  return server;
}
