import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { waitForStart } from "@hookyard/test-brokers";
import { Redis } from "ioredis";

/**
 * A throwaway redis-server for tests that must own the server: restart it, read exact command statistics, or
 * run it with another configuration. Test support only (used by *.test.ts).
 */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Starts (again) on the same port and data directory; resolves when it answers PING. */
  start(): Promise<void>;
  /** Stops the process: "SIGKILL" to simulate a crash. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that is alive but answers nothing (a stalled replica). */
  pause(): void;
  resume(): void;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

const REDIS_SERVER = process.env.HOOKYARD_REDIS_SERVER ?? "/usr/bin/redis-server";

/**
 * `binary`: another server than Debian's redis-server, e.g. the harness's valkey-server (`requireBrokers("valkey")`)
 * for what Redis 7.0 lacks.
 */
export async function createTestRedisServer(
  extraConfig: readonly string[] = [],
  options: { binary?: string } = {},
): Promise<TestRedisServer> {
  const binary = options.binary ?? REDIS_SERVER;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "hookyard-redis-"));
  const config = join(dir, "redis.conf");
  writeFileSync(
    config,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      'save ""',
      "appendonly yes",
      "appendfsync everysec", // the documented default; tests of `always` pass "appendfsync always"
      "daemonize no",
      "loglevel warning",
      `logfile ${join(dir, "redis.log")}`,
      ...extraConfig,
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;

  const server: TestRedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      const process = spawn(binary, [config], { stdio: "ignore" });
      child = process;
      process.unref();
      await waitForStart(`redis-server on port ${port}`, process, () => ping(port), { timeoutMs: 15_000 });
    },
    async stop(signal = "SIGTERM") {
      const process = child;
      child = undefined;
      if (!process || process.exitCode !== null || process.signalCode !== null) return;
      process.ref(); // started unref'd; a caller with nothing else pending must still see the exit
      const exited = once(process, "exit");
      process.kill(signal);
      await exited;
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async destroy() {
      server.resume();
      await server.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy(); // a server that never answered must not outlive the test
    throw error;
  }
  return server;
}

/**
 * For a describe block whose tests share one private server: started before them with an admin connection (for
 * CONFIG SET, INFO, FLUSHALL), both gone after them. Read `server` and `admin` inside the tests.
 */
export function useTestRedisServer(extraConfig: readonly string[] = []): {
  readonly server: TestRedisServer;
  readonly admin: Redis;
} {
  let server: TestRedisServer | undefined;
  let admin: Redis | undefined;
  before(async () => {
    server = await createTestRedisServer(extraConfig);
    admin = new Redis(server.url);
  });
  after(async () => {
    await admin?.quit();
    await server?.destroy();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test redis-server is started by before(): read it inside a test");
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get admin() {
      return started(admin);
    },
  };
}

async function ping(port: number): Promise<true | undefined> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG" ? true : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}
