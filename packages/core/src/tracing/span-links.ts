import { type Context, createTraceState, ROOT_CONTEXT, type Span, trace } from "@opentelemetry/api";
import { formatTraceparent, parseTraceparent, type TraceContext } from "./trace-context.js";

/**
 * The bridge between an event's stored W3C trace context and OpenTelemetry spans: the parent for a span about the
 * event (the producer's span, or Hookyard's accept span), and the context a span hands on (stored with the event,
 * sent on the webhook request and sink messages). Used only when tracing is on.
 */

/** The remote parent named by `context` (its `traceparent`), or the root context: the span then starts a trace. */
export function parentContextOf(context: { readonly traceparent?: string; readonly tracestate?: string }): Context {
  const parsed = parseTraceparent(context.traceparent);
  if (parsed === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.traceFlags,
    isRemote: true,
    ...(context.tracestate === undefined ? {} : { traceState: createTraceState(context.tracestate) }),
  });
}

/** What travels on after `span`: its ids as a `traceparent`, and the trace state it carries. */
export function traceContextOfSpan(span: Span): TraceContext {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const traceparent = formatTraceparent(traceId, spanId, traceFlags);
  const tracestate = traceState?.serialize();
  return tracestate === undefined || tracestate === "" ? { traceparent } : { traceparent, tracestate };
}
