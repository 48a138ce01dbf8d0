// CPU accounting shared by the broker benchmarks: a process tree's CPU seconds from /proc, and the pid of a
// broker the harness (test/brokers/brokers) started.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** CPU time (user + system, seconds) of a process and its descendants, from /proc. */
export function cpuSeconds(pid) {
  if (!pid) return 0;
  const stats = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  let ticks = 0;
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, stat] of stats) {
      if (!wanted.has(id) && wanted.has(stat.ppid)) {
        wanted.add(id);
        grew = true;
      }
    }
  }
  for (const id of wanted) ticks += stats.get(id)?.ticks ?? 0;
  return ticks / 100;
}

/** The pid of a broker started by test/brokers/brokers (0 for "synthetic" or a broker it did not start). */
export function brokerPid(broker) {
  if (broker === "synthetic") return 0; // no broker process
  let status;
  try {
    status = execFileSync(join(root, "test/brokers/brokers"), ["status"], { encoding: "utf8" });
  } catch (error) {
    status = String(error.stdout ?? ""); // exits 1 when any broker is down; the others' lines are still there
  }
  const line = status.split("\n").find((l) => l.startsWith(`${broker} `));
  return Number(/pid (\d+)/.exec(line ?? "")?.[1] ?? 0);
}

/** This process's own CPU seconds (user + system). */
export function ownCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
