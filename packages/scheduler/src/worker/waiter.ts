import type { Clock } from "../clock.js";

/**
 * The worker's one place to be idle: `wait(delayMs)` resolves after `delayMs` of clock time or at the next
 * `wake()`, whichever comes first; `wakeAt(at)` brings the end of the wait forward to clock time `at`. A wake
 * (or a wakeAt) while nobody waits is remembered for the next wait, so no wake-up is ever lost.
 */
export interface Waiter {
  wait(delayMs: number): Promise<void>;
  wake(): void;
  wakeAt(at: number): void;
}

interface Pending {
  deadline: number;
  cancel: () => void;
  readonly done: () => void;
}

export function createWaiter(clock: Clock): Waiter {
  let pending: Pending | undefined;
  let woken = false;
  /** The earliest `wakeAt` made while nobody waited: it bounds the next wait. */
  let wakeBy: number | undefined;
  return {
    wait(delayMs) {
      const by = wakeBy;
      wakeBy = undefined;
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      const now = clock.now();
      const deadline = by === undefined ? now + delayMs : Math.min(now + delayMs, by);
      return new Promise<void>((resolve) => {
        const done = () => {
          wait.cancel();
          pending = undefined;
          resolve();
        };
        const wait: Pending = { deadline, cancel: () => undefined, done };
        wait.cancel = clock.setTimer(done, deadline - now);
        pending = wait;
      });
    },
    wake() {
      if (pending === undefined) woken = true;
      else pending.done();
    },
    wakeAt(at) {
      if (pending === undefined) {
        wakeBy = wakeBy === undefined ? at : Math.min(wakeBy, at);
      } else if (at < pending.deadline) {
        pending.cancel();
        pending.deadline = at;
        pending.cancel = clock.setTimer(pending.done, at - clock.now());
      }
    },
  };
}
