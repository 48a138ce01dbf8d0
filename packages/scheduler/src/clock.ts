/**
 * Time as the scheduler sees it: `now()` is passed to every store call and timers drive idle waits and lease
 * extension. Tests use the manual clock to move time by hand.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once `delayMs` of this clock's time has passed; returns a function that cancels it. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimer(callback: () => void, delayMs: number) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
});

export interface ManualClock extends Clock {
  /** Moves time to `time`, firing due timers in order (each sees `now()` at its own due time). */
  set(time: number): void;
  advance(ms: number): void;
  /** Timers not yet fired or cancelled. */
  readonly pendingTimers: number;
}

interface ManualTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

export function createManualClock(start = 0): ManualClock {
  let current = start;
  let order = 0;
  const timers = new Set<ManualTimer>();

  function nextDue(until: number): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const timer of timers) {
      if (timer.at > until) continue;
      if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
    }
    return next;
  }

  const clock: ManualClock = {
    now: () => current,
    setTimer(callback, delayMs) {
      order += 1;
      const timer: ManualTimer = { at: current + Math.max(0, delayMs), order, callback };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    set(time) {
      for (let timer = nextDue(time); timer !== undefined; timer = nextDue(time)) {
        timers.delete(timer);
        current = Math.max(current, timer.at);
        timer.callback();
      }
      current = time;
    },
    advance(ms) {
      clock.set(current + ms);
    },
    get pendingTimers() {
      return timers.size;
    },
  };
  return clock;
}
