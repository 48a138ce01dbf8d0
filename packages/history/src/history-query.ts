import { compileTypePattern, HookyardError, type TypePattern } from "@hookyard/core";
import { type HistoryPageRequest, type HistoryQuery, MAX_HISTORY_PAGE } from "./history-store.js";

/** A position in a list ordered by (`at`, `id`): the last row of the previous page. */
export interface Keyset {
  readonly at: number;
  readonly id: string;
}

/** A query checked once, the same way by every implementation. */
export interface CheckedQuery {
  readonly limit: number;
  readonly after?: Keyset;
  /** Absent: any type. */
  readonly type?: TypePattern;
}

export function queryInvalid(message: string): HookyardError {
  return new HookyardError("QUERY_INVALID", message);
}

/** Opaque to callers; base64url so it travels in a query string untouched. */
export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(`${keyset.at}:${keyset.id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Keyset {
  const text =
    cursor.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
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

export function checkPage(page: HistoryPageRequest): CheckedQuery {
  return { limit: pageLimit(page.limit), ...(page.cursor === undefined ? {} : { after: decodeCursor(page.cursor) }) };
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
  return { ...checkPage(query), ...(type === undefined ? {} : { type }) };
}
