import type { Envelope } from "@hookyard/core";
import type { SettledDelivery } from "../history-store.js";
import { payloadJsonText } from "../payload-json.js";
import { summaryOf } from "../record-views.js";
import { pgText, MS_TO_TIMESTAMPTZ as ts } from "./sql.js";

/**
 * One statement writes a whole batch: the deliveries and their attempts as parallel arrays (one parameter per
 * column, whatever the batch size, so the statement is prepared once), unnested into two INSERTs in one CTE —
 * one round trip, one transaction. ON CONFLICT DO NOTHING on each row's identity makes a repeated batch a no-op.
 */
export const WRITE_BATCH_SQL = `
WITH d AS (
  INSERT INTO deliveries (delivery_id, status, settled_at, created_at, message_id, endpoint_id, owner, event_id,
                          event_type, attempts, dead_reason, envelope, payload_json, payload_bytes, last_attempt)
  SELECT id, st, ${ts("sat")}, ${ts("cat")}, mid, ep, own, eid, typ, n, reason, env::json, pj::json, pb, la::json
    FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::int4[], $11::text[], $12::text[], $13::text[], $14::bytea[], $15::text[])
         AS t(id, st, sat, cat, mid, ep, own, eid, typ, n, reason, env, pj, pb, la)
  ON CONFLICT DO NOTHING
  RETURNING 1
), a AS (
  INSERT INTO attempts (attempt_id, delivery_id, status, settled_at, attempt, started_at, duration_ms,
                        response_status, error_class, error_message, request_headers, response_headers,
                        response_body, response_body_truncated)
  SELECT aid, did, st, ${ts("sat")}, n, sa::timestamptz, dur, rs, ec, em, rqh::json, rsh::json, body, trunc
    FROM unnest($16::text[], $17::text[], $18::text[], $19::int8[], $20::int4[], $21::text[], $22::int4[],
                $23::int4[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[], $29::bool[])
         AS t(aid, did, st, sat, n, sa, dur, rs, ec, em, rqh, rsh, body, trunc)
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts`;

/** The envelope without its payload, as stored in `envelope` (json keeps this text exactly). */
export function envelopeMeta(envelope: Envelope): string {
  const { data: _data, ...meta } = envelope;
  return JSON.stringify(meta);
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** The parameters of `WRITE_BATCH_SQL` for these settles. */
export function writeBatchParams(deliveries: readonly SettledDelivery[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 29 }, () => []);
  const push = (offset: number, values: unknown[]) => {
    for (let i = 0; i < values.length; i++) cols[offset + i]?.push(values[i]);
  };
  for (const d of deliveries) {
    const json = payloadJsonText(d.envelope);
    const last = d.attemptLog.at(-1);
    push(0, [
      pgText(d.deliveryId),
      d.status,
      d.settledAt,
      d.createdAt,
      pgText(d.messageId),
      pgText(d.endpointId),
      pgText(d.owner),
      pgText(d.envelope.id),
      pgText(d.envelope.type),
      d.attempts,
      d.deadReason === undefined ? null : pgText(d.deadReason),
      envelopeMeta(d.envelope),
      orNull(json),
      json === undefined
        ? Buffer.from(d.envelope.data.buffer, d.envelope.data.byteOffset, d.envelope.data.length)
        : null,
      last === undefined ? null : JSON.stringify(summaryOf(last)),
    ]);
    for (const a of d.attemptLog) {
      push(15, [
        pgText(a.attemptId),
        pgText(d.deliveryId),
        d.status,
        d.settledAt,
        a.attempt,
        a.startedAt,
        Math.round(a.durationMs),
        orNull(a.status),
        orNull(a.errorClass),
        a.errorMessage === undefined ? null : pgText(a.errorMessage),
        a.requestHeaders === undefined ? null : JSON.stringify(a.requestHeaders),
        a.responseHeaders === undefined ? null : JSON.stringify(a.responseHeaders),
        a.responseBody === undefined ? null : pgText(a.responseBody),
        orNull(a.responseBodyTruncated),
      ]);
    }
  }
  return cols;
}
