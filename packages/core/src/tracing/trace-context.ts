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

// Version 00 exactly; a later version is read by its first four fields (the spec's forward compatibility).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;
const INVALID_TRACE_ID = "00000000000000000000000000000000";
const INVALID_SPAN_ID = "0000000000000000";
/** The spec lets a vendor drop tracestate beyond 512 characters; a longer one is not carried at all. */
export const MAX_TRACESTATE_LENGTH = 512;
// Printable ASCII without control characters: it goes out as an HTTP header value and a broker header.
const TRACESTATE = /^[\x20-\x7e]*$/;

/** The ids and flags of a valid `traceparent`, or undefined (malformed, all-zero ids, version ff). */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (value === undefined || value.length < 55 || value.length > 256) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0xff };
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
