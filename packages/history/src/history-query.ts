import { compileTypePattern, HookyardError, type TypePattern } from "@hookyard/core";
import { type HistoryOrder, type HistoryPageRequest, type HistoryQuery, MAX_HISTORY_PAGE } from "./history-store.js";

/** A position in a list ordered by (`at`, `id`): the last row of the previous page. */
export interface Keyset {
  readonly at: number;
  readonly id: string;
}

/** A query checked once, the same way by every implementation. */
export interface CheckedQuery {
  readonly limit: number;
  /** The last row of the previous page: the page goes on past it in `order`. */
  readonly after?: Keyset;
  readonly order: HistoryOrder;
  /** Absent: any type. */
  readonly type?: TypePattern;
}

export function queryInvalid(message: string): HookyardError {
  return new HookyardError("QUERY_INVALID", message);
}

// Oldest-first cursors carry a prefix, so a cursor used with the other order is refused rather than misread
// (newest-first cursors keep the original form: links made before sorting existed stay valid).
const OLDEST_PREFIX = "o:";

/** Opaque to callers; base64url so it travels in a query string untouched. */
export function encodeCursor(keyset: Keyset, order: HistoryOrder = "newest"): string {
  const prefix = order === "oldest" ? OLDEST_PREFIX : "";
  return Buffer.from(`${prefix}${keyset.at}:${keyset.id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string, order: HistoryOrder = "newest"): Keyset {
  const raw =
    cursor.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
  const oldest = raw.startsWith(OLDEST_PREFIX);
  if (raw !== "" && oldest !== (order === "oldest")) {
    throw queryInvalid(`cursor belongs to the ${oldest ? "oldest" : "newest"}-first order, not ${order}-first`);
  }
  const text = oldest ? raw.slice(OLDEST_PREFIX.length) : raw;
  const colon = text.indexOf(":");
  const at = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon < 1 || !Number.isSafeInteger(at) || id.length === 0) {
    throw queryInvalid("cursor is not one this store returned");
  }
  return { at, id };
}

export function pageLimit(limit: number): number {
  if (!Number.isFinite(limit)) throw queryInvalid("limit must be a number");
  return Math.min(MAX_HISTORY_PAGE, Math.max(1, Math.floor(limit)));
}

export function checkPage(page: HistoryPageRequest, order: HistoryOrder = "newest"): CheckedQuery {
  return {
    limit: pageLimit(page.limit),
    order,
    ...(page.cursor === undefined ? {} : { after: decodeCursor(page.cursor, order) }),
  };
}

export function checkQuery(query: HistoryQuery): CheckedQuery {
  let type: TypePattern | undefined;
  if (query.type !== undefined) {
    try {
      type = compileTypePattern(query.type, "type");
    } catch (error) {
      throw queryInvalid(error instanceof Error ? error.message : String(error));
    }
  }
  if (query.payloadContains !== undefined && JSON.stringify(query.payloadContains).length > 4096) {
    throw queryInvalid("payloadContains is larger than 4096 bytes of JSON");
  }
  const order = query.order ?? "newest";
  if (order !== "newest" && order !== "oldest") throw queryInvalid('order must be "newest" or "oldest"');
  return { ...checkPage(query, order), ...(type === undefined ? {} : { type }) };
}
