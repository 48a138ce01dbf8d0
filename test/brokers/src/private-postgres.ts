import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./scratch-dir.js";
import { stablePort } from "./stable-port.js";
import { waitFor, waitForStart } from "./wait.js";

/**
 * A throwaway PostgreSQL for tests that kill or restart it (never the shared one from `brokers up`): initdb into a
 * temp folder, a postmaster on its own port in its own process group, so `kill()` is a SIGKILL of the postmaster
 * and every backend at once — PostgreSQL's host-crash case (it replays its WAL at the next start).
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** The data directory (its postmaster.pid names the running postmaster). */
  readonly dataDir: string;
  /** Starts (again) on the same port and data directory; resolves once it answers a query. */
  start(): Promise<void>;
  /** SIGKILL of the whole server (postmaster and backends). */
  kill(): Promise<void>;
  /** Kills it and deletes its data directory. */
  destroy(): Promise<void>;
}

const VERSIONS_DIR = "/usr/lib/postgresql";

function binDir(): string {
  const fromEnv = process.env.HOOKYARD_POSTGRES_BIN;
  if (fromEnv) return fromEnv;
  const versions = existsSync(VERSIONS_DIR) ? readdirSync(VERSIONS_DIR).sort() : [];
  const newest = versions[versions.length - 1];
  if (newest === undefined) {
    throw new Error(
      "PostgreSQL is not installed: apt-get install postgresql-15 (or run test/brokers/brokers up postgres once)",
    );
  }
  return join(VERSIONS_DIR, newest, "bin");
}

/** initdb and postgres refuse to run as root: as root they run as Debian's `postgres` user, which owns the folder. */
function asOwner(command: string, args: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, [...args]];
}

export interface PrivatePostgresOptions {
  /** Extra server settings, `name=value` (each passed as `-c`), e.g. a benchmark's `shared_buffers=256MB`. */
  readonly settings?: readonly string[];
}

export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = scratchDir("hookyard-pg");
  const data = join(dir, "data");
  if (process.getuid?.() === 0) chownSync(dir, uidOf("postgres"), gidOf("postgres"));
  const [initdb, initArgs] = asOwner(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8"]);
  execFileSync(initdb, initArgs, { stdio: "ignore" });
  const port = await stablePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  const server: PrivatePostgres = {
    url,
    dataDir: data,
    async start() {
      // fsync stays on: the tests that kill it are about what survives.
      const [command, args] = asOwner(join(bin, "postgres"), [
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        dir,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "log_min_messages=fatal",
        ...(options.settings ?? []).flatMap((setting) => ["-c", setting]),
      ]);
      const started = spawn(command, args, { stdio: "ignore", detached: true });
      child = started;
      started.unref();
      await waitForStart(`private postgres on port ${port}`, started, () => answers(bin, port), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running?.pid || running.exitCode !== null || running.signalCode !== null) return;
      const group = running.pid;
      running.ref(); // started unref'd; a caller with nothing else pending must still see the exit
      const exited = new Promise((resolve) => running.once("exit", resolve));
      process.kill(-group, "SIGKILL");
      await exited;
      // The whole process group (postmaster and backends) must be gone before the next start reuses the port,
      // the data directory and the shared memory.
      await waitFor("the killed postgres processes to be reaped", () => (groupGone(group) ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

function answers(bin: string, port: number): true | undefined {
  try {
    const out = execFileSync(
      join(bin, "psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-tAqc", "SELECT 1"],
      { stdio: ["ignore", "pipe", "ignore"], timeout: 5000 },
    );
    return out.toString().trim() === "1" ? true : undefined;
  } catch {
    return undefined;
  }
}

function groupGone(group: number): boolean {
  try {
    process.kill(-group, 0);
    return false;
  } catch {
    return true;
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user]).toString().trim());
}

function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user]).toString().trim());
}
