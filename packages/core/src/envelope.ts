import { HookyardError } from "./errors.js";
import { isSafeHeaderValue } from "./security/header-value.js";
import { isUsableTracestate, parseTraceparent, type TraceContext } from "./tracing/trace-context.js";

/**
 * One event, transport-neutral and CloudEvents-shaped. `data` is kept byte-exact because webhook signatures are
 * computed over exactly the bytes that are sent.
 */
export interface Envelope {
  /** Stable across redeliveries: it becomes `webhook-id`. */
  readonly id: string;
  /** Where it came from, e.g. "kafka:orders" or "ingress:stripe". */
  readonly source: string;
  /** Event type, e.g. "invoice.paid". */
  readonly type: string;
  /** RFC 3339 time of the event. */
  readonly time: string;
  readonly subject?: string;
  /** MIME type of `data`. */
  readonly contentType: string;
  /** The payload, byte-exact. */
  readonly data: Uint8Array;
  /** Headers or broker attributes that travel with the event (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** Ordering / partition key. */
  readonly key?: string;
  /** De-duplication key derived from the broker's coordinates or given by the producer. */
  readonly idempotencyKey?: string;
  /**
   * W3C trace context of the event: the producer's (from its message headers or ingest request), or, when
   * Hookyard traces, that of the span that accepted it. Sent on every webhook attempt and sink message.
   */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface EnvelopeInput {
  id: string;
  source: string;
  type: string;
  data: Uint8Array | string;
  time?: string | Date;
  subject?: string;
  contentType?: string;
  headers?: Record<string, string>;
  key?: string;
  idempotencyKey?: string;
  traceparent?: string;
  tracestate?: string;
}

const MAX_ID_LENGTH = 256;
const textEncoder = new TextEncoder();

/** Builds a validated, frozen envelope. Throws a non-retryable `HookyardError` naming the bad field. */
export function createEnvelope(input: EnvelopeInput): Envelope {
  requireText("id", input.id, MAX_ID_LENGTH);
  requireText("source", input.source, 256);
  requireText("type", input.type, 256);
  // Fields that travel as HTTP header values (webhook-id, content-type, …): CR/LF would split a header.
  if (input.contentType !== undefined && !isSafeHeaderValue(input.contentType)) {
    throw new HookyardError("ENVELOPE_INVALID", "envelope contentType contains a control character (CR, LF, NUL, …)");
  }
  const time = input.time instanceof Date ? input.time.toISOString() : (input.time ?? new Date().toISOString());
  if (Number.isNaN(Date.parse(time))) {
    throw new HookyardError("ENVELOPE_INVALID", `envelope time is not an RFC 3339 timestamp: ${JSON.stringify(time)}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (typeof value !== "string") {
      throw new HookyardError("ENVELOPE_INVALID", `envelope header ${JSON.stringify(name)} is not a string`);
    }
    headers[name.toLowerCase()] = value;
  }
  // Optional fields by assignment, not object spreads: this runs for every event and every delivery attempt.
  const envelope: { -readonly [K in keyof Envelope]: Envelope[K] } = {
    id: input.id,
    source: input.source,
    type: input.type,
    time,
    contentType: input.contentType ?? "application/json",
    data: typeof input.data === "string" ? textEncoder.encode(input.data) : input.data,
    headers: Object.freeze(headers),
  };
  if (input.subject !== undefined) envelope.subject = input.subject;
  if (input.key !== undefined) envelope.key = input.key;
  if (input.idempotencyKey !== undefined) envelope.idempotencyKey = input.idempotencyKey;
  if (input.traceparent !== undefined) {
    if (parseTraceparent(input.traceparent) === undefined) {
      throw new HookyardError("ENVELOPE_INVALID", "envelope traceparent is not a W3C traceparent");
    }
    envelope.traceparent = input.traceparent;
    if (input.tracestate !== undefined) {
      if (!isUsableTracestate(input.tracestate)) {
        throw new HookyardError("ENVELOPE_INVALID", "envelope tracestate is empty, too long or not printable ASCII");
      }
      envelope.tracestate = input.tracestate;
    }
  }
  return Object.freeze(envelope);
}

/**
 * The same event carrying `context` instead of its own trace context (none: without one). A copy: envelopes are
 * frozen. Only called when there is a context to set or Hookyard's tracing is on, never on the untraced hot path.
 */
export function withTraceContext(envelope: Envelope, context: TraceContext | undefined): Envelope {
  const copy: { -readonly [K in keyof Envelope]: Envelope[K] } = { ...envelope };
  delete copy.traceparent;
  delete copy.tracestate;
  if (context !== undefined) {
    copy.traceparent = context.traceparent;
    if (context.tracestate !== undefined) copy.tracestate = context.tracestate;
  }
  return Object.freeze(copy);
}

function requireText(field: string, value: unknown, maxLength: number): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new HookyardError("ENVELOPE_INVALID", `envelope ${field} must be a non-empty string`);
  }
  if (value.length > maxLength) {
    throw new HookyardError("ENVELOPE_INVALID", `envelope ${field} is longer than ${maxLength} characters`);
  }
  if (!isSafeHeaderValue(value)) {
    throw new HookyardError("ENVELOPE_INVALID", `envelope ${field} contains a control character (CR, LF, NUL, …)`);
  }
}
