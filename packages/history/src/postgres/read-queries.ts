import type { AttemptRecord, DeliverySummary, Envelope } from "@hookyard/core";
import type { CheckedQuery } from "../history-query.js";
import type { HistoryDelivery, HistoryQuery, SettledStatus } from "../history-store.js";
import { TIMESTAMPTZ_TO_MS as ms, MS_TO_TIMESTAMPTZ as ts } from "./sql.js";

/** A statement and its parameters, built up filter by filter. */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

const SUMMARY_COLUMNS = `delivery_id, message_id, endpoint_id, status, attempts, ${ms("created_at")} AS created_ms,
  event_id, event_type, dead_reason, last_attempt`;
export const RECORD_COLUMNS = `delivery_id, message_id, endpoint_id, owner, status, attempts,
  ${ms("created_at")} AS created_ms, ${ms("settled_at")} AS settled_ms, dead_reason, replayed, envelope,
  payload_json::text AS payload_text, payload_bytes, last_attempt`;

/**
 * The delivery log query: newest first by (created_at, delivery_id), keyset-paged, one more row than the page to
 * know whether another page follows. Every filter is an indexed column (see the migration) or, for globs and
 * payloads, a check on rows an index already narrowed.
 */
export function listStatement(query: HistoryQuery, checked: CheckedQuery): Statement {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = ["NOT replayed"];
  if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
  if (query.endpointIds !== undefined && query.endpointIds.length > 0) {
    where.push(
      query.endpointIds.length === 1
        ? `endpoint_id = ${param(query.endpointIds[0])}`
        : `endpoint_id = ANY(${param(query.endpointIds)}::text[])`,
    );
  }
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
    where.push(`(created_at, delivery_id) < (${ts(param(checked.after.at))}, ${param(checked.after.id)})`);
  }
  if (query.payloadContains !== undefined) {
    where.push(
      `payload_json IS NOT NULL AND (payload_json::jsonb) @> ${param(JSON.stringify(query.payloadContains))}::jsonb`,
    );
  }
  const text = `SELECT ${SUMMARY_COLUMNS} FROM deliveries WHERE ${where.join(" AND ")}
    ORDER BY created_at DESC, delivery_id DESC LIMIT ${param(checked.limit + 1)}`;
  return { text, values };
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

interface SummaryRow {
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
