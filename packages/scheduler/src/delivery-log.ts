import { HookyardError } from "@hookyard/core";
import { type DeliveryQuery, MAX_DELIVERY_PAGE } from "./store.js";

/**
 * Helpers both stores share for `queryDeliveries`. Delivery ids start with the base36 creation time (9 chars,
 * see embedded/ids.ts), so ordering ids as strings orders deliveries by creation, and a time bound is an id
 * prefix: that is what lets Redis serve the delivery log from lexicographic sorted sets.
 */

const CURSOR = /^[0-9a-z]{9,64}$/;

/** The id prefix of deliveries created at `ms`. */
export function timePrefix(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0");
}

/** A query checked and reduced to id bounds: ids `< upper` (exclusive, undefined = none) and `>= lower`. */
export interface QueryBounds {
  readonly limit: number;
  readonly upper?: string;
  readonly lower?: string;
}

export function queryBounds(query: DeliveryQuery): QueryBounds {
  if (query.cursor !== undefined && !CURSOR.test(query.cursor)) {
    throw new HookyardError("QUERY_INVALID", "cursor is not one this store returned");
  }
  const limit = Math.min(MAX_DELIVERY_PAGE, Math.max(1, Math.floor(query.limit)));
  const before = query.before === undefined ? undefined : timePrefix(query.before);
  let upper = query.cursor;
  if (before !== undefined && (upper === undefined || before < upper)) upper = before;
  const lower = query.from === undefined ? undefined : timePrefix(query.from);
  return { limit, ...(upper === undefined ? {} : { upper }), ...(lower === undefined ? {} : { lower }) };
}
