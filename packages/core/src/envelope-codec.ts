import { createEnvelope, type Envelope, type EnvelopeInput } from "./envelope.js";
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
  headers: Readonly<Record<string, string>>;
  key?: string;
  idempotencyKey?: string;
}

// Built by assignment, not object spreads: this runs once per accepted event and decode once per delivery attempt.
export function encodeEnvelope(envelope: Envelope): string {
  const stored: StoredEnvelope = {
    v: 1,
    id: envelope.id,
    source: envelope.source,
    type: envelope.type,
    time: envelope.time,
    contentType: envelope.contentType,
    data: Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength).toString("base64"),
    headers: envelope.headers,
  };
  if (envelope.subject !== undefined) stored.subject = envelope.subject;
  if (envelope.key !== undefined) stored.key = envelope.key;
  if (envelope.idempotencyKey !== undefined) stored.idempotencyKey = envelope.idempotencyKey;
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
  const input: EnvelopeInput = {
    id: stored.id,
    source: stored.source,
    type: stored.type,
    time: stored.time,
    contentType: stored.contentType,
    data: new Uint8Array(Buffer.from(stored.data, "base64")),
    headers: stored.headers,
  };
  if (stored.subject !== undefined) input.subject = stored.subject;
  if (stored.key !== undefined) input.key = stored.key;
  if (stored.idempotencyKey !== undefined) input.idempotencyKey = stored.idempotencyKey;
  return createEnvelope(input);
}
