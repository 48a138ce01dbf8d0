/**
 * Counts in-flight messages against `maxInFlight`. Receivers reserve slots before they ask SQS for messages, so
 * concurrent receivers together never pull more than the cap.
 */
export interface Slots {
  /**
   * Waits until `wanted` slots are free (all of them when the cap is smaller), then takes them; 0 once closed.
   * Waiters are served in order.
   */
  acquire(wanted: number): Promise<number>;
  release(count: number): void;
  /** Wakes every waiter with 0. */
  close(): void;
  readonly used: number;
}

export function createSlots(capacity: number): Slots {
  let used = 0;
  let closed = false;
  const waiters: { readonly wanted: number; readonly resolve: (granted: number) => void }[] = [];
  // A receiver waits for a whole batch rather than taking each slot as it frees: when deliveries are the
  // bottleneck, the latter sends one ReceiveMessage per message (ten times the requests, each costly in SDK CPU).
  const fits = (wanted: number): boolean => capacity - used >= Math.min(wanted, capacity);
  const take = (wanted: number): number => {
    const granted = Math.min(wanted, capacity - used);
    used += granted;
    return granted;
  };
  const wake = () => {
    for (let next = waiters[0]; next !== undefined; next = waiters[0]) {
      if (!closed && !fits(next.wanted)) return;
      waiters.shift();
      next.resolve(closed ? 0 : take(next.wanted));
    }
  };
  return {
    acquire(wanted) {
      if (closed) return Promise.resolve(0);
      if (waiters.length === 0 && fits(wanted)) return Promise.resolve(take(wanted));
      return new Promise((resolve) => waiters.push({ wanted, resolve }));
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
