// How long the bench's processes waited for a CPU (Linux /proc/<pid>/schedstat, field 2: time spent runnable but
// not running, in ns, main thread). On a shared 2-vCPU machine this is the neighbours' share of a latency tail:
// a second in which the worker, Redis and the receiver together waited hundreds of ms delays every delivery in it,
// whatever the scheduler does. Sampled once per second of the run, aligned with the receiver's `slowSeconds`.
import { readFileSync } from "node:fs";

function waitedNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]);
  } catch {
    return 0; // not Linux, or the process is gone
  }
}

/** `since`: the epoch ms that second 0 starts at (the receiver's `since`). */
export function createRunQueueProbe(pids, since) {
  const total = () => pids.reduce((sum, pid) => sum + waitedNs(pid), 0);
  let last = total();
  let lastSecond = Math.floor((Date.now() - since) / 1000);
  const perSecond = new Map();
  return {
    /** Call often (every tick): records the wait of each whole second that has passed. */
    sample() {
      const second = Math.floor((Date.now() - since) / 1000);
      if (second === lastSecond) return;
      const now = total();
      if (lastSecond >= 0) perSecond.set(lastSecond, (now - last) / 1e6);
      last = now;
      lastSecond = second;
    },
    /** Total ms waited over the measured seconds and the three worst seconds as "second:ms". */
    summary() {
      const values = [...perSecond];
      const worst = values.sort((a, b) => b[1] - a[1]).slice(0, 3);
      return {
        totalMs: Math.round(values.reduce((sum, [, ms]) => sum + ms, 0)),
        worst: worst.map(([second, ms]) => `${second}:${Math.round(ms)}`).join(" "),
      };
    },
  };
}
