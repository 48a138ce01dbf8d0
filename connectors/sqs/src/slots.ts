/**
 * Counts in-flight messages against `maxInFlight`. Receivers reserve slots before they ask SQS for messages, so
 * concurrent receivers together never pull more than the cap.
 */
export interface Slots {
  /** Waits until at least one slot is free, then takes up to `wanted`; 0 once closed. */
  acquire(wanted: number): Promise<number>;
  release(count: number): void;
  /** Wakes every waiter with 0. */
  close(): void;
  readonly used: number;
}

export function createSlots(capacity: number): Slots {
  let used = 0;
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    while (waiters.length > 0 && (closed || used < capacity)) waiters.shift()?.();
  };
  return {
    async acquire(wanted) {
      while (!closed && used >= capacity) await new Promise<void>((resolve) => waiters.push(resolve));
      if (closed) return 0;
      const granted = Math.min(wanted, capacity - used);
      used += granted;
      return granted;
    },
    release(count) {
      used -= count;
      wake();
    },
    close() {
      closed = true;
      wake();
    },
    get used() {
      return used;
    },
  };
}
