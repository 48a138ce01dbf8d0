import type { HistoryRetentionOptions, HistoryStore } from "../history-store.js";

/** One opened history store under test. */
export interface HistoryHarness {
  readonly store: HistoryStore;
  /** Closes the store and whatever the harness made for it (PostgreSQL: drops the test's schema). */
  close(): Promise<void>;
}

/** Opens a fresh, empty store isolated from every other open (PostgreSQL: a schema of its own). */
export type OpenHistory = (options: HistoryRetentionOptions) => Promise<HistoryHarness>;

export type WithHistory = (
  body: (store: HistoryStore) => Promise<void>,
  options?: HistoryRetentionOptions,
) => Promise<void>;

export function withHistoryFrom(open: OpenHistory): WithHistory {
  return async (body, options = {}) => {
    const harness = await open(options);
    try {
      await body(harness.store);
    } finally {
      await harness.close();
    }
  };
}
