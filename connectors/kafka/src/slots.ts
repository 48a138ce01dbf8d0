/** A counting semaphore with FIFO waiters: the bound on messages handed to deliver and not yet settled. */
export interface Slots {
  /** Resolves true once a slot is held, or false if `signal` aborted first (nothing is held then). */
  acquire(signal: AbortSignal): Promise<boolean>;
  release(): void;
  readonly used: number;
}

export function createSlots(size: number): Slots {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots need a size of at least 1, not ${size}`);
  let used = 0;
  const waiters: { grant(): void }[] = [];
  return {
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(false);
      if (used < size && waiters.length === 0) {
        used += 1;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const waiter = {
          grant: () => {
            signal.removeEventListener("abort", onAbort);
            resolve(true);
          },
        };
        const onAbort = () => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          resolve(false);
        };
        waiters.push(waiter);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    release() {
      const next = waiters.shift();
      // The slot passes straight to the next waiter, so `used` stays the same.
      if (next) next.grant();
      else used -= 1;
    },
    get used() {
      return used;
    },
  };
}
