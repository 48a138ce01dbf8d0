// A PostgreSQL server of the benchmark's own (initdb into a temp dir, free port, default settings, fsync on), so the
// CPU counted is the bench's alone and the shared test server is left alone. As root, initdb and postgres run as
// Debian's `postgres` user (they refuse root).
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../private-redis.mjs";

const BIN = process.env.HOOKYARD_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";
const TICK_MS = 10;

function asOwner(command, args) {
  if (process.getuid?.() !== 0) return [command, args];
  return ["runuser", ["-u", "postgres", "--", command, ...args]];
}

export async function startPrivatePostgres({ settings = [] } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "hookyard-bench-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  execFileSync(
    ...asOwner(`${BIN}/initdb`, ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]),
    {
      stdio: "ignore",
    },
  );
  const [command, args] = asOwner(`${BIN}/postgres`, [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "shared_buffers=256MB",
    "-c",
    "max_wal_size=2GB",
    ...settings.flatMap((s) => ["-c", s]),
  ]);
  const child = spawn(command, args, { stdio: "ignore" });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      if (i > 300) throw new Error(`postgres did not answer on port ${port} within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url,
    /** CPU ms of the postmaster and all its children (backends, WAL writer, checkpointer, autovacuum). */
    cpuMs() {
      let ticks = 0;
      for (const pid of readdirSync("/proc")) {
        if (!/^\d+$/.test(pid)) continue;
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          const ppid = Number(fields[1]);
          if (Number(pid) !== postmaster && ppid !== postmaster) continue;
          ticks += Number(fields[11]) + Number(fields[12]);
          // the postmaster's reaped children (backends that exited)
          if (Number(pid) === postmaster) ticks += Number(fields[13]) + Number(fields[14]);
        } catch {
          // ended meanwhile
        }
      }
      return ticks * TICK_MS;
    },
    async stop() {
      try {
        process.kill(postmaster, "SIGINT");
      } catch {
        // already gone
      }
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
