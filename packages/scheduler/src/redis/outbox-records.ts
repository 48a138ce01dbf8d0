import { type AttemptRecord, decodeEnvelope, type Envelope } from "@hookyard/core";
import type { SettledEntry, SettledRecord } from "../store.js";

/**
 * Decodes the outbox's entries (take-outbox.lua's reply, or XRANGE flattened): per record its stream entry id,
 * then its fields as a flat list (see keys.ts, `{hy}:outbox`): h = "st|a|c|s|d|m|ep" (status, attempts, created
 * at, settled at, delivery id, message id, endpoint id), env (core's encoded envelope, "" when it was lost), log
 * (JSON array of attempts, newest first), why (dead only). Entries written before the packed header have one
 * field per value (d, m, ep, st, a, c, s) and are read as well. `decode` turns a delivery's envelope text into the
 * envelope (the store's reuses what its leases decoded: see envelope-reuse.ts).
 */
export function decodeOutboxEntries(
  reply: readonly unknown[],
  decode: (deliveryId: string, text: string) => Envelope = (_deliveryId, text) => decodeEnvelope(text),
): SettledEntry[] {
  const entries: SettledEntry[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const fields = reply[i + 1] as string[];
    const f = new Map<string, string>();
    for (let j = 0; j + 1 < fields.length; j += 2) f.set(fields[j] as string, fields[j + 1] as string);
    entries.push({ entryId: String(reply[i]), record: recordOf(unpackHead(f), decode) });
  }
  return entries;
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

function recordOf(f: Map<string, string>, decode: (deliveryId: string, text: string) => Envelope): SettledRecord {
  const status = f.get("st") === "dead" ? "dead" : "delivered";
  const deliveryId = f.get("d") ?? "";
  const env = f.get("env") ?? "";
  const why = f.get("why");
  const attemptLog = (JSON.parse(f.get("log") ?? "[]") as AttemptRecord[]).reverse();
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
