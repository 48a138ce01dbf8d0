import type { RejectedLog, RejectedRequest } from "./collaborators.js";

export interface RingRejectedLog extends RejectedLog {
  /** Newest first, optionally for one route. */
  list(filter?: { readonly routeId?: string; readonly limit?: number }): RejectedRequest[];
}

/** The last `capacity` rejected requests in memory, for the admin API and debugging. */
export function createRejectedLog(capacity = 500): RingRejectedLog {
  const entries: (RejectedRequest | undefined)[] = new Array(Math.max(1, capacity));
  let next = 0;
  let size = 0;
  return {
    record(entry) {
      entries[next] = Object.freeze({ ...entry, headers: Object.freeze({ ...entry.headers }) });
      next = (next + 1) % entries.length;
      size = Math.min(size + 1, entries.length);
    },
    list(filter = {}) {
      const result: RejectedRequest[] = [];
      const limit = filter.limit ?? entries.length;
      for (let i = 1; i <= size && result.length < limit; i++) {
        const entry = entries[(next - i + entries.length) % entries.length];
        if (entry !== undefined && (filter.routeId === undefined || entry.routeId === filter.routeId)) {
          result.push(entry);
        }
      }
      return result;
    },
  };
}
