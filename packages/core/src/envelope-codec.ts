import { createEnvelope, type Envelope, type EnvelopeInput } from "./envelope.js";
import { HookyardError } from "./errors.js";

/**
 * The stored form of an envelope: plain JSON. The payload is kept byte-exact either as text (`text`, when it is
 * valid UTF-8, as webhook payloads nearly always are: a third smaller than base64 in Redis) or as base64 (`data`).
 */
interface StoredEnvelope {
  v: 1;
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  contentType: string;
  text?: string;
  data?: string;
  headers: Readonly<Record<string, string>>;
  key?: string;
  idempotencyKey?: string;
  traceparent?: string;
  tracestate?: string;
}

// fatal: invalid UTF-8 is not text; ignoreBOM: a leading BOM is kept, so the bytes round-trip exactly.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function payloadText(data: Uint8Array): string | undefined {
  try {
    return UTF8.decode(data);
  } catch {
    return undefined;
  }
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
    headers: envelope.headers,
  };
  const text = payloadText(envelope.data);
  if (text === undefined) {
    stored.data = Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength).toString(
      "base64",
    );
  } else {
    stored.text = text;
  }
  if (envelope.subject !== undefined) stored.subject = envelope.subject;
  if (envelope.key !== undefined) stored.key = envelope.key;
  if (envelope.idempotencyKey !== undefined) stored.idempotencyKey = envelope.idempotencyKey;
  if (envelope.traceparent !== undefined) stored.traceparent = envelope.traceparent;
  if (envelope.tracestate !== undefined) stored.tracestate = envelope.tracestate;
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
    data: new Uint8Array(
      stored.text === undefined ? Buffer.from(stored.data ?? "", "base64") : Buffer.from(stored.text, "utf8"),
    ),
    headers: stored.headers,
  };
  if (stored.subject !== undefined) input.subject = stored.subject;
  if (stored.key !== undefined) input.key = stored.key;
  if (stored.idempotencyKey !== undefined) input.idempotencyKey = stored.idempotencyKey;
  if (stored.traceparent !== undefined) input.traceparent = stored.traceparent;
  if (stored.tracestate !== undefined) input.tracestate = stored.tracestate;
  return createEnvelope(input);
}
