import {
  type DeliveryOutcome,
  type Endpoint,
  type Envelope,
  parentContextOf,
  traceContextOfSpan,
} from "@hookyard/core";
import { type Attributes, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { SendOptions } from "./http-delivery.js";
import type { AttemptTrace } from "./request-headers.js";

type Attempt = (
  endpoint: Endpoint,
  envelope: Envelope,
  attemptNumber: number,
  options?: SendOptions,
  trace?: AttemptTrace,
) => Promise<DeliveryOutcome>;

/**
 * Wraps one attempt in an HTTP client span (OpenTelemetry semantic conventions for HTTP), child of the event's
 * stored trace context, so every retry of a delivery is one more span in the producer's trace; the span's own
 * `traceparent` is what the endpoint receives. The URL's path and query are not recorded: webhook URLs often
 * carry tokens there. Spans the sampler drops cost their ids and the traceparent string, nothing else.
 */
export function traceAttempts(attempt: Attempt, tracer: Tracer): Attempt {
  const targets = new WeakMap<Endpoint, Attributes>();
  const targetOf = (endpoint: Endpoint): Attributes => {
    let attributes = targets.get(endpoint);
    if (attributes === undefined) {
      attributes = urlAttributes(endpoint);
      targets.set(endpoint, attributes);
    }
    return attributes;
  };
  return async (endpoint, envelope, attemptNumber, options) => {
    const span = tracer.startSpan("POST", { kind: SpanKind.CLIENT }, parentContextOf(envelope));
    const recording = span.isRecording();
    if (recording) {
      span.setAttributes(targetOf(endpoint));
      span.setAttribute("hookyard.endpoint.id", endpoint.id);
      span.setAttribute("hookyard.event.id", envelope.id);
      span.setAttribute("hookyard.event.type", envelope.type);
      span.setAttribute("hookyard.delivery.attempt", attemptNumber);
      if (attemptNumber > 1) span.setAttribute("http.request.resend_count", attemptNumber - 1);
    }
    try {
      const outcome = await attempt(endpoint, envelope, attemptNumber, options, traceContextOfSpan(span));
      if (recording) recordOutcome(span, outcome);
      return outcome;
    } catch (error) {
      if (recording) {
        span.setAttribute("error.type", error instanceof Error ? error.name : "unknown");
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      }
      throw error;
    } finally {
      span.end();
    }
  };
}

function recordOutcome(span: ReturnType<Tracer["startSpan"]>, outcome: DeliveryOutcome): void {
  const { attempt } = outcome;
  span.setAttribute("hookyard.delivery.outcome", outcome.kind);
  if (attempt.status !== undefined) span.setAttribute("http.response.status_code", attempt.status);
  if (outcome.kind === "delivered") return;
  // error.type (HTTP semantic conventions): the status code for an answer, else the attempt's error class
  // (timeout, connect, dns, tls, ssrf_blocked, …).
  const errorType =
    attempt.status !== undefined && (attempt.errorClass === undefined || attempt.errorClass === "http_status")
      ? String(attempt.status)
      : (attempt.errorClass ?? "_OTHER");
  span.setAttribute("error.type", errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(attempt.errorMessage ? { message: attempt.errorMessage } : {}) });
}

function urlAttributes(endpoint: Endpoint): Attributes {
  try {
    const url = new URL(endpoint.url);
    const scheme = url.protocol.replace(/:$/, "");
    const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port);
    return { "http.request.method": "POST", "server.address": url.hostname, "server.port": port, "url.scheme": scheme };
  } catch {
    return { "http.request.method": "POST" };
  }
}
