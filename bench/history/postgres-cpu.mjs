// CPU time of a PostgreSQL server: its postmaster (named by <data dir>/postmaster.pid) and all its children
// (backends, WAL writer, checkpointer, autovacuum), from /proc, so a benchmark counts the server's work too.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const TICK_MS = 10;

/** CPU ms used so far by the server whose data directory is `dataDir`. */
export function postgresCpuMs(dataDir) {
  const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
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
}
