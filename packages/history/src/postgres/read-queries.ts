import type { AttemptRecord, DeliverySummary, Envelope } from "@hookyard/core";
import type { CheckedQuery } from "../history-query.js";
import type { HistoryDelivery, HistoryOrder, HistoryQuery, SettledStatus } from "../history-store.js";
import { TIMESTAMPTZ_TO_MS as ms, MS_TO_TIMESTAMPTZ as ts } from "./sql.js";

/** A statement and its parameters, built up filter by filter. */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

// created_at itself too: merged LATERAL scans and the payload probe order by it.
const SUMMARY_COLUMNS = `delivery_id, message_id, endpoint_id, status, attempts, created_at,
  ${ms("created_at")} AS created_ms, event_id, event_type, dead_reason, last_attempt`;
const SUMMARY_OUTPUT = `delivery_id, message_id, endpoint_id, status, attempts, created_ms, event_id, event_type,
  dead_reason, last_attempt`;
export const RECORD_COLUMNS = `delivery_id, message_id, endpoint_id, owner, status, attempts,
  ${ms("created_at")} AS created_ms, ${ms("settled_at")} AS settled_ms, dead_reason, replayed, envelope,
  payload_json::text AS payload_text, payload_bytes, last_attempt`;

/** Most endpoints listed one by one (a LATERAL scan each); longer lists use one `= ANY` scan. */
const LATERAL_ENDPOINTS = 100;
/** Newest candidates a payload search examines row by row before it asks the GIN index instead. */
export const PAYLOAD_PROBE_ROWS = 1000;

/** Bind parameters of one statement, numbered as they are added. */
function parameters() {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown): string {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

/**
 * The filters of a delivery log query except endpoints and payload, as SQL conditions. Every one is an indexed
 * column (see the migration) or, for globs, a check on rows an index already narrowed.
 */
function conditions(query: HistoryQuery, checked: CheckedQuery, param: (value: unknown) => string): string[] {
  const where = ["NOT replayed"];
  if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
  if (query.owner !== undefined) where.push(`owner = ${param(query.owner)}`);
  if (query.eventId !== undefined) where.push(`event_id = ${param(query.eventId)}`);
  const type = checked.type;
  if (type?.exact !== undefined) where.push(`event_type = ${param(type.exact)}`);
  else if (type !== undefined && type.pattern !== "*" && type.pattern !== "**") {
    const prefix = literalPrefix(type.pattern);
    if (prefix !== "") where.push(`event_type LIKE ${param(`${escapeLike(prefix)}%`)}`);
    where.push(`event_type ~ ${param(globRegex(type.pattern))}`);
  }
  if (query.from !== undefined) where.push(`created_at >= ${ts(param(Math.floor(query.from)))}`);
  if (query.before !== undefined) where.push(`created_at < ${ts(param(Math.floor(query.before)))}`);
  if (checked.after !== undefined) {
    const past = checked.order === "oldest" ? ">" : "<";
    where.push(`(created_at, delivery_id) ${past} (${ts(param(checked.after.at))}, ${param(checked.after.id)})`);
  }
  return where;
}

/** The page order; a b-tree index on (…, created_at, delivery_id) is walked forwards or backwards for either. */
function orderBy(order: HistoryOrder): string {
  return order === "oldest" ? "ORDER BY created_at, delivery_id" : "ORDER BY created_at DESC, delivery_id DESC";
}

function reversed(order: HistoryOrder): HistoryOrder {
  return order === "oldest" ? "newest" : "oldest";
}

/**
 * The first `rows` in `order` matching `where` (plus the endpoint filter). Several endpoints (an owner's) are read as one
 * index scan each, merged (LATERAL): PostgreSQL cannot walk `endpoint_id = ANY(...)` in creation order, and
 * would otherwise fetch and sort every delivery of those endpoints.
 */
function firstRows(
  query: HistoryQuery,
  order: HistoryOrder,
  where: readonly string[],
  columns: string,
  rows: string,
  param: (value: unknown) => string,
): string {
  const ids = query.endpointIds ?? [];
  const ORDERED = orderBy(order);
  if (ids.length === 1) {
    return `SELECT ${columns} FROM deliveries WHERE endpoint_id = ${param(ids[0])} AND ${where.join(" AND ")}
      ${ORDERED} LIMIT ${rows}`;
  }
  if (ids.length > 1 && ids.length <= LATERAL_ENDPOINTS) {
    return `SELECT d.* FROM unnest(${param(ids)}::text[]) AS e(id) CROSS JOIN LATERAL (
        SELECT ${columns} FROM deliveries WHERE endpoint_id = e.id AND ${where.join(" AND ")} ${ORDERED} LIMIT ${rows}
      ) d ${ORDERED} LIMIT ${rows}`;
  }
  const endpoints = ids.length === 0 ? [] : [`endpoint_id = ANY(${param(ids)}::text[])`];
  return `SELECT ${columns} FROM deliveries WHERE ${[...endpoints, ...where].join(" AND ")} ${ORDERED} LIMIT ${rows}`;
}

/**
 * The delivery log query: newest (or oldest) first by (created_at, delivery_id), keyset-paged, one more row
 * than the page to know whether another page follows. Payload searches are `payloadProbeStatement`/`payloadIndexStatement`.
 */
export function listStatement(query: HistoryQuery, checked: CheckedQuery): Statement {
  const { values, add } = parameters();
  const where = conditions(query, checked, add);
  return { text: firstRows(query, checked.order, where, SUMMARY_COLUMNS, add(checked.limit + 1), add), values };
}

/**
 * A payload search, step 1: the first `PAYLOAD_PROBE_ROWS` candidates in the page order (every other filter
 * applied, in index order) checked one by one. A common value fills the page here, where the GIN index would
 * fetch and sort all of its matches. Returns the matches (edge false) and one more row (edge true): the last
 * candidate examined, with the number examined, so that step 2 goes on past it.
 */
export function payloadProbeStatement(query: HistoryQuery, checked: CheckedQuery): Statement {
  const { values, add } = parameters();
  const where = conditions(query, checked, add);
  const contains = add(JSON.stringify(query.payloadContains));
  const scanned = firstRows(
    query,
    checked.order,
    where,
    `${SUMMARY_COLUMNS}, payload_json`,
    add(PAYLOAD_PROBE_ROWS),
    add,
  );
  const text = `WITH scanned AS MATERIALIZED (${scanned})
    (SELECT ${SUMMARY_OUTPUT}, false AS edge, 0 AS examined FROM scanned
      WHERE payload_json IS NOT NULL AND (payload_json::jsonb) @> ${contains}::jsonb
      ${orderBy(checked.order)} LIMIT ${add(checked.limit + 1)})
    UNION ALL
    (SELECT ${SUMMARY_OUTPUT}, true AS edge, (SELECT count(*)::int FROM scanned) AS examined FROM scanned
      ${orderBy(reversed(checked.order))} LIMIT 1)`;
  return { text, values };
}

/**
 * A payload search, step 2, past the probed rows: the GIN index (jsonb_path_ops) alone finds the matches, which
 * are then filtered, sorted and cut. PostgreSQL estimates any containment at 0.1 % of the rows, so given the
 * filters and the LIMIT in one query it would walk the creation-order index and test every row for a rare value,
 * or AND the GIN bitmap with one of millions of keyset entries: seconds on millions of rows. Only the status (the
 * partition key: pruning, not an index) stays with the containment.
 */
export function payloadIndexStatement(query: HistoryQuery, checked: CheckedQuery): Statement {
  const { values, add } = parameters();
  const inner = [
    "NOT replayed",
    `payload_json IS NOT NULL AND (payload_json::jsonb) @> ${add(JSON.stringify(query.payloadContains))}::jsonb`,
  ];
  if (query.status !== undefined) inner.push(`status = ${add(query.status)}`);
  const { status: _status, ...withoutStatus } = query;
  const outer = conditions(withoutStatus, checked, add);
  const ids = query.endpointIds ?? [];
  if (ids.length > 0) outer.push(`endpoint_id = ANY(${add(ids)}::text[])`);
  return {
    text: `WITH matched AS MATERIALIZED (SELECT ${SUMMARY_COLUMNS}, owner, replayed FROM deliveries WHERE ${inner.join(" AND ")})
      SELECT * FROM matched WHERE ${outer.join(" AND ")} ${orderBy(checked.order)} LIMIT ${add(checked.limit + 1)}`,
    values,
  };
}

/** The literal segments before the first wildcard, with the dot that follows them ("invoice." for invoice.*). */
function literalPrefix(pattern: string): string {
  const segments = pattern.split(".");
  const literal = segments.slice(
    0,
    segments.findIndex((s) => s.includes("*")),
  );
  return literal.length === 0 ? "" : `${literal.join(".")}.`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/** The glob as a PostgreSQL regular expression, with the semantics of core's `compileTypePattern`. */
function globRegex(pattern: string): string {
  const source = pattern
    .split(".")
    .map((segment) => {
      if (segment === "*") return "[^.]+";
      if (segment === "**") return "[^.]+(\\.[^.]+)*";
      return segment.replace(/[\\^$.|?+*()[\]{}]/g, "\\$&");
    })
    .join("\\.");
  return `^${source}$`;
}

export interface SummaryRow {
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  status: SettledStatus;
  attempts: number;
  created_ms: number;
  event_id: string;
  event_type: string;
  dead_reason: string | null;
  last_attempt: AttemptRecord | null;
}

export function summaryFromRow(row: SummaryRow): DeliverySummary {
  return {
    deliveryId: row.delivery_id,
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_ms,
    eventId: row.event_id,
    type: row.event_type,
    ...(row.dead_reason === null ? {} : { deadReason: row.dead_reason }),
    ...(row.last_attempt === null ? {} : { lastAttempt: row.last_attempt }),
  };
}

export interface RecordRow extends SummaryRow {
  owner: string;
  settled_ms: number;
  replayed: boolean;
  envelope: Omit<Envelope, "data">;
  payload_text: string | null;
  payload_bytes: Buffer | null;
}

export function recordFromRow(row: RecordRow): HistoryDelivery {
  const data =
    row.payload_text === null ? new Uint8Array(row.payload_bytes ?? []) : new Uint8Array(Buffer.from(row.payload_text));
  return {
    deliveryId: row.delivery_id,
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    owner: row.owner,
    status: row.status,
    ...(row.dead_reason === null ? {} : { deadReason: row.dead_reason }),
    attempts: row.attempts,
    createdAt: row.created_ms,
    settledAt: row.settled_ms,
    envelope: Object.freeze({ ...row.envelope, headers: Object.freeze({ ...row.envelope.headers }), data }),
    replayed: row.replayed,
    ...(row.last_attempt === null ? {} : { lastAttempt: row.last_attempt }),
  };
}
