import type { SchedulerStore, StoreOutboxOptions } from "../store.js";

/** One opened store under test. */
export interface StoreHarness {
  readonly store: SchedulerStore;
  /** Closes the store and anything the harness opened for it (Redis connections). */
  close(): Promise<void>;
}

/**
 * Opens a fresh store, isolated from every other open (the Redis harness uses a unique key prefix), so tests
 * can run in parallel and share one Redis.
 */
export type OpenStore = (options: StoreOutboxOptions) => Promise<StoreHarness>;

/** Runs `body` against a freshly opened store and always closes it. */
export type WithStore = (body: (store: SchedulerStore) => Promise<void>, options?: StoreOutboxOptions) => Promise<void>;

export function withStoreFrom(open: OpenStore): WithStore {
  return async (body, options = {}) => {
    const harness = await open(options);
    try {
      await body(harness.store);
    } finally {
      await harness.close();
    }
  };
}
