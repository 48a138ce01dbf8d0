/**
 * Runs tasks one at a time per key, in the order they were added; tasks of different keys run concurrently.
 * Tasks must not reject (the source settles every message inside its task).
 */
export interface KeyLanes {
  run(key: string, task: () => Promise<void>): Promise<void>;
  /** Whether a task of this key is running or waiting. */
  has(key: string): boolean;
}

export function createKeyLanes(): KeyLanes {
  const tails = new Map<string, Promise<void>>();
  return {
    run(key, task) {
      const previous = tails.get(key);
      const next = previous === undefined ? task() : previous.then(task);
      tails.set(key, next);
      next
        .finally(() => {
          if (tails.get(key) === next) tails.delete(key);
        })
        .catch(() => undefined);
      return next;
    },
    has: (key) => tails.has(key),
  };
}
