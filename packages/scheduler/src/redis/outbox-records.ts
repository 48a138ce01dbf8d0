import { type AttemptRecord, decodeEnvelope, type Envelope } from "@hookyard/core";
import type { SettledEntry, SettledRecord } from "../store.js";

/**
 * The outbox's records as stored (take-outbox.lua's reply, or XRANGE flattened: per entry its stream entry id,
 * then its fields as a flat list; see keys.ts, `{hy}:outbox:batched`). A record is h = "st|a|c|s|d|m|ep" (status,
 * attempts, created at, settled at, delivery id, message id, endpoint id), env (core's encoded envelope, "" when
 * it was lost) or ex (storage format 2: the envelope is in `{hy}:envelopes` under the delivery id), log (JSON array
 * of attempts, newest first) or at (the one attempt of a first try, its JSON object), why (dead only); an entry
 * holds one or more records, each starting at its h (lib/endpoint.lua outbox_add). Entries written before the
 * packed header (in the legacy outbox) have one record with one field per value (d, m, ep, st, a, c, s) and are
 * read as well. Records of one entry share its entry id.
 */
export function readOutboxRecords(reply: readonly unknown[]): OutboxRecordFields[] {
  const records: OutboxRecordFields[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const entryId = String(reply[i]);
    for (const fields of recordsOf(reply[i + 1] as string[])) records.push({ entryId, fields: unpackHead(fields) });
  }
  return records;
}

/** A record as stored: its entry's id and its fields, the packed header spread out. */
export interface OutboxRecordFields {
  readonly entryId: string;
  readonly fields: Map<string, string>;
}

/** The delivery ids of the records whose envelope is in `{hy}:envelopes`, for one HMGET. */
export function externalEnvelopeIds(records: readonly OutboxRecordFields[]): string[] {
  return records.filter(({ fields }) => fields.has("ex")).map(({ fields }) => fields.get("d") ?? "");
}

/**
 * The records as the store hands them off. `external`: the texts of the envelopes kept in `{hy}:envelopes`, by
 * delivery id (a record whose envelope is not there has none: lost data). `decode` turns a delivery's envelope text
 * into the envelope (the store's reuses what its leases decoded: see envelope-reuse.ts).
 */
export function settledEntries(
  records: readonly OutboxRecordFields[],
  external: ReadonlyMap<string, string | null> = new Map(),
  decode: (deliveryId: string, text: string) => Envelope = (_deliveryId, text) => decodeEnvelope(text),
): SettledEntry[] {
  return records.map(({ entryId, fields }) => ({ entryId, record: recordOf(fields, external, decode) }));
}

/** An entry's fields, one map per record: a record starts at each h (or is the whole entry, in the old format). */
function recordsOf(fields: readonly string[]): Map<string, string>[] {
  const records: Map<string, string>[] = [];
  let f = new Map<string, string>();
  for (let j = 0; j + 1 < fields.length; j += 2) {
    const name = fields[j] as string;
    if (name === "h" && f.has("h")) {
      records.push(f);
      f = new Map();
    }
    f.set(name, fields[j + 1] as string);
  }
  records.push(f);
  return records;
}

/** Most delivered records in one outbox entry (lib/endpoint.lua OUTBOX_BATCH: keep in step). */
export const OUTBOX_BATCH = 16;

export interface TakeSizer {
  /** How many outbox entries to read for `records` records. */
  entriesFor(records: number): number;
  /** What a read found: its entries and their records. */
  learn(entries: number, records: number): void;
}

/** The fewest records per entry a take counts on: it reads at most OUTBOX_BATCH / this × the records asked for. */
const TAKE_RECORDS_PER_ENTRY_MIN = 8;

/**
 * Sizes a store's outbox reads, which count entries while a take asks for records. An entry holds 1 to
 * OUTBOX_BATCH records (a quiet rate settles a few at a time, a drain a full batch; a dead letter is alone), so
 * the count follows the records per entry the last read found, taken between 8 and OUTBOX_BATCH: a take reads
 * fewer than twice the records asked for plus one entry however entries change, and small entries never need 16
 * reads to gather a batch.
 */
export function createTakeSizer(): TakeSizer {
  let recordsPerEntry = TAKE_RECORDS_PER_ENTRY_MIN;
  return {
    entriesFor(records) {
      const perEntry = Math.min(OUTBOX_BATCH, Math.max(TAKE_RECORDS_PER_ENTRY_MIN, recordsPerEntry));
      return Math.max(1, Math.ceil(records / perEntry));
    },
    learn(entries, records) {
      if (entries > 0) recordsPerEntry = records / entries;
    },
  };
}

const HEAD_FIELDS = ["st", "a", "c", "s", "d", "m"] as const;

/** Spreads a packed header `h` into the one-field-per-value form; the endpoint id is the rest after six "|". */
function unpackHead(f: Map<string, string>): Map<string, string> {
  const head = f.get("h");
  if (head === undefined) return f;
  let start = 0;
  for (const name of HEAD_FIELDS) {
    const end = head.indexOf("|", start);
    f.set(name, head.slice(start, end));
    start = end + 1;
  }
  f.set("ep", head.slice(start));
  return f;
}

function recordOf(
  f: Map<string, string>,
  external: ReadonlyMap<string, string | null>,
  decode: (deliveryId: string, text: string) => Envelope,
): SettledRecord {
  const status = f.get("st") === "dead" ? "dead" : "delivered";
  const deliveryId = f.get("d") ?? "";
  const env = (f.has("ex") ? external.get(deliveryId) : f.get("env")) ?? "";
  const why = f.get("why");
  const single = f.get("at");
  const attemptLog =
    single === undefined
      ? (JSON.parse(f.get("log") ?? "[]") as AttemptRecord[]).reverse()
      : [JSON.parse(single) as AttemptRecord];
  return {
    deliveryId,
    messageId: f.get("m") ?? "",
    endpointId: f.get("ep") ?? "",
    status,
    ...(status === "dead" && why !== undefined ? { deadReason: why } : {}),
    attempts: Number(f.get("a") ?? 0),
    createdAt: Number(f.get("c") ?? 0),
    settledAt: Number(f.get("s") ?? 0),
    ...(env === "" ? {} : { envelope: decode(deliveryId, env) }),
    attemptLog,
  };
}
