import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before } from "node:test";
import { Redis } from "ioredis";
import { scratchDir } from "./scratch-dir.js";
import { waitForStart } from "./wait.js";

/**
 * A redis-server of a test's own, for tests that must own the server: stop, kill or pause it, read exact command
 * statistics, or run it with another configuration, without disturbing the shared brokers other suites use.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Its data folder (the AOF, redis.conf, redis.log), removed when the process exits. */
  readonly dir: string;
  /** Starts (again) on the same port and data folder; resolves when it answers PING. */
  start(): Promise<void>;
  /**
   * Stops the process: "SIGKILL" is what a Redis crash looks like (acknowledged writes survive it with the
   * documented appendfsync everysec: Redis writes to the AOF before it replies; only a host crash could lose ~1 s).
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** SIGSTOP: a hung Redis (or a stalled replica): connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** redis.conf lines after the defaults (e.g. "appendfsync always", `replicaof 127.0.0.1 ${port}`). */
  readonly config?: readonly string[];
  /** Another server than Debian's redis-server (HOOKYARD_REDIS_SERVER), e.g. the harness's valkey-server. */
  readonly binary?: string;
}

const REDIS_SERVER = process.env.HOOKYARD_REDIS_SERVER ?? "/usr/bin/redis-server";

/**
 * A private redis-server, not started yet (`start()`): loopback only, its own folder, the AOF as the docs recommend
 * it (appendfsync everysec) and no RDB snapshots, then `options.config`.
 */
export async function privateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const binary = options.binary ?? REDIS_SERVER;
  const dir = scratchDir("hookyard-redis");
  const config = join(dir, "redis.conf");
  const lines = [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, 'save ""', "appendonly yes", "appendfsync everysec"];
  lines.push("daemonize no", "loglevel warning", `logfile ${join(dir, "redis.log")}`, ...(options.config ?? []), "");
  writeFileSync(config, lines.join("\n"));
  let child: ChildProcess | undefined;

  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      const started = spawn(binary, [config], { stdio: "ignore" });
      child = started;
      started.unref(); // a test that forgets destroy() must not hang its process
      await waitForStart(`redis-server on port ${port}`, started, () => ping(port), { timeoutMs: 15_000 });
    },
    async stop(signal = "SIGTERM") {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      running.ref(); // started unref'd; a caller with nothing else pending must still see the exit
      const exited = once(running, "exit");
      running.kill("SIGCONT"); // a paused process must not stay stopped if the signal does not end it
      running.kill(signal);
      await exited;
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async destroy() {
      await server.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** `privateRedis(options)`, started; a server that never answered is destroyed before the error is thrown. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const server = await privateRedis(options);
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

/**
 * For a describe block whose tests share one private server: started before them with an admin connection (for
 * CONFIG SET, INFO, FLUSHALL), both gone after them. Read `server` and `admin` inside the tests.
 */
export function usePrivateRedis(config: readonly string[] = []): {
  readonly server: PrivateRedis;
  readonly admin: Redis;
} {
  let server: PrivateRedis | undefined;
  let admin: Redis | undefined;
  before(async () => {
    server = await startPrivateRedis({ config });
    admin = new Redis(server.url);
  });
  after(async () => {
    await admin?.quit();
    await server?.destroy();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the private redis-server is started by before(): read it inside a test");
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
  client.on("error", () => undefined); // refused while starting: the probe just tries again
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
