import type { Envelope } from "@hookyard/core";
import type { SettledDelivery } from "../history-store.js";
import { payloadJsonText } from "../payload-json.js";
import { summaryOf } from "../record-views.js";
import { pgText, MS_TO_TIMESTAMPTZ as ts } from "./sql.js";

/**
 * One statement writes a whole batch: the settles as parallel arrays (one parameter per column, whatever the
 * batch size, so the statement is prepared once), unnested into one INSERT — one round trip, one transaction.
 * ON CONFLICT DO NOTHING on each row's identity makes a repeated batch a no-op.
 */
export const WRITE_BATCH_SQL = `
INSERT INTO deliveries (delivery_id, status, settled_at, created_at, message_id, endpoint_id, owner, event_id,
                        event_type, attempts, dead_reason, envelope, payload_json, payload_bytes, last_attempt,
                        attempt_log)
SELECT id, st, ${ts("sat")}, ${ts("cat")}, mid, ep, own, eid, typ, n, reason, env::json, pj::json, pb, la::json, al::json
  FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::int4[], $11::text[], $12::text[], $13::text[], $14::bytea[], $15::text[], $16::text[])
       AS t(id, st, sat, cat, mid, ep, own, eid, typ, n, reason, env, pj, pb, la, al)
ON CONFLICT DO NOTHING`;

/** The envelope without its payload, as stored in `envelope` (json keeps this text exactly). */
export function envelopeMeta(envelope: Envelope): string {
  const { data: _data, ...meta } = envelope;
  return JSON.stringify(meta);
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** The parameters of `WRITE_BATCH_SQL` for these settles. */
export function writeBatchParams(deliveries: readonly SettledDelivery[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const d of deliveries) {
    const json = payloadJsonText(d.envelope);
    const last = d.attemptLog.at(-1);
    const row = [
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
      JSON.stringify(d.attemptLog),
    ];
    for (let i = 0; i < row.length; i++) cols[i]?.push(row[i]);
  }
  return cols;
}
