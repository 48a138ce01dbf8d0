import {
  type DeliveryOutcome,
  type Envelope,
  parentContextOf,
  type TraceContext,
  traceContextOfSpan,
} from "@hookyard/core";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";

/** What a sink publish carries on and how it reports back: the envelope as sent, and (traced) its span's end. */
export interface SinkPublishTrace {
  readonly envelope: Envelope;
  readonly end?: (outcome: DeliveryOutcome) => void;
}

/**
 * The W3C trace context rides on a sink message as its `traceparent` / `tracestate` headers (Kafka headers, AMQP
 * headers, Pub/Sub and SQS attributes: every sink sends the envelope's headers). With tracing on, that is the
 * context of a PRODUCER span `send <sink>`, child of the event's; off, the event's own context, passed through.
 * An event without any context goes out untouched.
 */
export function tracePublish(sinkId: string, envelope: Envelope, tracer: Tracer | undefined): SinkPublishTrace {
  if (tracer === undefined) {
    if (envelope.traceparent === undefined) return { envelope };
    return { envelope: withTraceHeaders(envelope, envelope) };
  }
  const span = tracer.startSpan(`send ${sinkId}`, { kind: SpanKind.PRODUCER }, parentContextOf(envelope));
  const recording = span.isRecording();
  if (recording) {
    span.setAttribute("messaging.operation.type", "send");
    span.setAttribute("hookyard.sink.id", sinkId);
    span.setAttribute("hookyard.event.id", envelope.id);
    span.setAttribute("hookyard.event.type", envelope.type);
  }
  return {
    envelope: withTraceHeaders(envelope, traceContextOfSpan(span)),
    end(outcome) {
      if (recording) {
        span.setAttribute("hookyard.delivery.outcome", outcome.kind);
        if (outcome.kind !== "delivered") {
          span.setAttribute("error.type", outcome.kind === "retry" ? "retryable" : "rejected");
          const message = outcome.attempt.errorMessage;
          span.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
        }
      }
      span.end();
    },
  };
}

function withTraceHeaders(envelope: Envelope, context: TraceContext | Envelope): Envelope {
  const headers: Record<string, string> = { ...envelope.headers };
  delete headers.traceparent;
  delete headers.tracestate;
  if (context.traceparent !== undefined) headers.traceparent = context.traceparent;
  if (context.tracestate !== undefined) headers.tracestate = context.tracestate;
  return Object.freeze({ ...envelope, headers: Object.freeze(headers) });
}
