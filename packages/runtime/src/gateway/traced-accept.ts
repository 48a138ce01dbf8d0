import { parentContextOf, traceContextOfSpan, withTraceContext } from "@hookyard/core";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Accept } from "./accept.js";

/**
 * Wraps the accept path in one span per event: `accept <source>`, child of the producer's trace context (from its
 * broker message headers or ingest request), CONSUMER for a broker source, SERVER for the ingest API, INTERNAL for
 * an inbound webhook (whose request span is the parent). The event is stored with this span's context, so each
 * delivery attempt, however late and on whichever instance, continues the same trace.
 */
export function traceAccept(accept: Accept, tracer: Tracer): Accept {
  return async (envelope, endpointIds) => {
    const span = tracer.startSpan(
      `accept ${envelope.source}`,
      { kind: kindOf(envelope.source) },
      parentContextOf(envelope),
    );
    const recording = span.isRecording();
    if (recording) {
      span.setAttribute("hookyard.event.id", envelope.id);
      span.setAttribute("hookyard.event.type", envelope.type);
      span.setAttribute("hookyard.event.source", envelope.source);
      const system = messagingSystemOf(envelope.source);
      if (system !== undefined) span.setAttribute("messaging.system", system);
    }
    try {
      const result = await accept(withTraceContext(envelope, traceContextOfSpan(span)), endpointIds);
      if (recording) {
        span.setAttribute("hookyard.deliveries", result.deliveries);
        span.setAttribute("hookyard.duplicate", result.duplicate);
      }
      return result;
    } catch (error) {
      if (recording) {
        span.setAttribute("error.type", errorTypeOf(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      throw error;
    } finally {
      span.end();
    }
  };
}

function kindOf(source: string): SpanKind {
  if (source === "http") return SpanKind.SERVER;
  if (source.startsWith("ingress:")) return SpanKind.INTERNAL;
  return SpanKind.CONSUMER;
}

/** "kafka:orders" → "kafka"; the ingest API and inbound webhooks are not messaging. */
function messagingSystemOf(source: string): string | undefined {
  const at = source.indexOf(":");
  if (at <= 0 || source.startsWith("ingress:")) return undefined;
  return source.slice(0, at);
}

export function errorTypeOf(error: unknown): string {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return error instanceof Error ? error.name : "_OTHER";
}
