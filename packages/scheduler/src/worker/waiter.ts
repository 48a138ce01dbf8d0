import type { Clock } from "../clock.js";

/**
 * The worker's one place to be idle: `wait(delayMs)` resolves after `delayMs` of clock time or at the next
 * `wake()`, whichever comes first. A wake while nobody waits is remembered, so no wake-up is ever lost.
 */
export interface Waiter {
  wait(delayMs: number): Promise<void>;
  wake(): void;
}

export function createWaiter(clock: Clock): Waiter {
  let release: (() => void) | undefined;
  let woken = false;
  return {
    wait(delayMs) {
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const cancel = clock.setTimer(() => done(), delayMs);
        const done = () => {
          cancel();
          release = undefined;
          resolve();
        };
        release = done;
      });
    },
    wake() {
      if (release === undefined) woken = true;
      else release();
    },
  };
}
