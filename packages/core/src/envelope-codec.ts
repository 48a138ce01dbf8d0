import { createEnvelope, type Envelope } from "./envelope.js";
import { HookyardError } from "./errors.js";

/** The stored form of an envelope: plain JSON, payload as base64 so the bytes survive exactly. */
interface StoredEnvelope {
  v: 1;
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  contentType: string;
  data: string;
  headers: Record<string, string>;
  key?: string;
  idempotencyKey?: string;
}

export function encodeEnvelope(envelope: Envelope): string {
  const stored: StoredEnvelope = {
    v: 1,
    id: envelope.id,
    source: envelope.source,
    type: envelope.type,
    time: envelope.time,
    contentType: envelope.contentType,
    data: Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength).toString("base64"),
    headers: { ...envelope.headers },
    ...(envelope.subject === undefined ? {} : { subject: envelope.subject }),
    ...(envelope.key === undefined ? {} : { key: envelope.key }),
    ...(envelope.idempotencyKey === undefined ? {} : { idempotencyKey: envelope.idempotencyKey }),
  };
  return JSON.stringify(stored);
}

export function decodeEnvelope(text: string): Envelope {
  let stored: StoredEnvelope;
  try {
    stored = JSON.parse(text) as StoredEnvelope;
  } catch (cause) {
    throw new HookyardError("ENVELOPE_INVALID", "stored envelope is not valid JSON", { cause });
  }
  if (stored?.v !== 1) throw new HookyardError("ENVELOPE_INVALID", "stored envelope has an unknown version");
  return createEnvelope({
    id: stored.id,
    source: stored.source,
    type: stored.type,
    time: stored.time,
    contentType: stored.contentType,
    data: new Uint8Array(Buffer.from(stored.data, "base64")),
    headers: stored.headers,
    ...(stored.subject === undefined ? {} : { subject: stored.subject }),
    ...(stored.key === undefined ? {} : { key: stored.key }),
    ...(stored.idempotencyKey === undefined ? {} : { idempotencyKey: stored.idempotencyKey }),
  });
}
