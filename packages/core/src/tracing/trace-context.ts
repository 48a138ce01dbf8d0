/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as it travels with an event: the `traceparent` a
 * producer put on its broker message or ingest request, kept on the envelope through Redis and the history, and
 * sent on the webhook request and sink messages. Parsed here without any tracing SDK, so it passes through even
 * when Hookyard's own tracing is off.
 */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
  readonly traceparent: string;
  /** Vendor entries, passed on unchanged (at most 512 characters, as the specification allows dropping beyond). */
  readonly tracestate?: string;
}

export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

const INVALID_TRACE_ID = "00000000000000000000000000000000";
const INVALID_SPAN_ID = "0000000000000000";
/** The spec lets a vendor drop tracestate beyond 512 characters; a longer one is not carried at all. */
export const MAX_TRACESTATE_LENGTH = 512;
// Printable ASCII without control characters: it goes out as an HTTP header value and a broker header.
const TRACESTATE = /^[\x20-\x7e]*$/;

/**
 * The ids and flags of a valid `traceparent`, or undefined (malformed, all-zero ids, version ff). Version 00 is
 * exactly 55 characters; a later version is read by its first four fields (the spec's forward compatibility).
 * Checked character by character rather than with a regular expression: it runs on every traced attempt.
 */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (value === undefined) return undefined;
  const text = value.length === 55 ? value : value.trim();
  if (text.length < 55 || text.length > 256) return undefined;
  if (text.charCodeAt(2) !== DASH || text.charCodeAt(35) !== DASH || text.charCodeAt(52) !== DASH) return undefined;
  if (!isLowerHex(text, 0, 2) || !isLowerHex(text, 3, 35) || !isLowerHex(text, 36, 52) || !isLowerHex(text, 53, 55)) {
    return undefined;
  }
  const version = text.slice(0, 2);
  if (version === "ff") return undefined;
  if (text.length > 55 && (version === "00" || text.charCodeAt(55) !== DASH)) return undefined;
  const traceId = text.slice(3, 35);
  const spanId = text.slice(36, 52);
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(text.slice(53, 55), 16) };
}

const DASH = 0x2d;

function isLowerHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** `traceparent` for a span's ids (version 00). */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${traceFlags & 1 ? "01" : "00"}`;
}

type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The trace context in a set of headers or broker attributes (names looked up as given and lower-cased), or
 * undefined when there is no valid `traceparent`. An unusable `tracestate` is dropped, never the traceparent.
 */
export function traceContextOf(headers: HeaderBag): TraceContext | undefined {
  const traceparent = single(headers.traceparent ?? headers.Traceparent);
  if (traceparent === undefined || parseTraceparent(traceparent) === undefined) return undefined;
  const tracestate = single(headers.tracestate ?? headers.Tracestate);
  const context: { traceparent: string; tracestate?: string } = { traceparent: traceparent.trim() };
  if (tracestate !== undefined && isUsableTracestate(tracestate)) context.tracestate = tracestate.trim();
  return context;
}

export function isUsableTracestate(value: string): boolean {
  return value.length > 0 && value.length <= MAX_TRACESTATE_LENGTH && TRACESTATE.test(value);
}

function single(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === "string") return value;
  // Repeated tracestate headers are one list (RFC 9110 field combination); repeated traceparents are invalid.
  if (Array.isArray(value) && value.length > 0) return value.join(",");
  return undefined;
}
