import { type AttemptRecord, decodeEnvelope } from "@hookyard/core";
import type { SettledEntry, SettledRecord } from "../store.js";

/**
 * Decodes take-outbox.lua's reply: per record its stream entry id, then its fields (see keys.ts, `{hy}:outbox`):
 * d, m, ep, st, a, c, s, env (core's encoded envelope, "" when it was lost), log (JSON array of attempts, newest
 * first), why (dead only).
 */
export function decodeOutboxEntries(reply: readonly unknown[]): SettledEntry[] {
  const entries: SettledEntry[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const fields = reply[i + 1] as string[];
    const f = new Map<string, string>();
    for (let j = 0; j + 1 < fields.length; j += 2) f.set(fields[j] as string, fields[j + 1] as string);
    entries.push({ entryId: String(reply[i]), record: recordOf(f) });
  }
  return entries;
}

function recordOf(f: Map<string, string>): SettledRecord {
  const status = f.get("st") === "dead" ? "dead" : "delivered";
  const env = f.get("env") ?? "";
  const why = f.get("why");
  const attemptLog = (JSON.parse(f.get("log") ?? "[]") as AttemptRecord[]).reverse();
  return {
    deliveryId: f.get("d") ?? "",
    messageId: f.get("m") ?? "",
    endpointId: f.get("ep") ?? "",
    status,
    ...(status === "dead" && why !== undefined ? { deadReason: why } : {}),
    attempts: Number(f.get("a") ?? 0),
    createdAt: Number(f.get("c") ?? 0),
    settledAt: Number(f.get("s") ?? 0),
    ...(env === "" ? {} : { envelope: decodeEnvelope(env) }),
    attemptLog,
  };
}
