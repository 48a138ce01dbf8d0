import { parentContextOf, type TraceContext, traceContextOf, traceContextOfSpan } from "@hookyard/core";
import { type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { IngressRoute } from "../config/route.js";
import type { IngressOutcome } from "./collaborators.js";

/** The inbound webhook's span as the pipeline sees it: what it ended as, and the context its event carries on. */
export interface RequestSpans {
  outcome(request: FastifyRequest, outcome: IngressOutcome, reason: string | undefined): void;
  /** The context the accepted event is stored with (and its sink messages carry): the request span's. */
  contextOf(request: FastifyRequest): TraceContext | undefined;
}

const NONE: RequestSpans = { outcome: () => undefined, contextOf: () => undefined };

/**
 * One SERVER span per inbound webhook request (`POST <route path>`), covering limits, verification, routing and
 * the accept; child of the request's own `traceparent` when the sender put one on. Without a tracer no hook is
 * added and nothing is allocated per request.
 */
export function addRequestSpans(
  scope: FastifyInstance,
  tracer: Tracer | undefined,
  routeOf: (request: FastifyRequest) => IngressRoute | undefined,
): RequestSpans {
  if (tracer === undefined) return NONE;
  const spans = new WeakMap<FastifyRequest, Span>();
  scope.addHook("onRequest", async (request) => {
    const route = routeOf(request);
    if (route === undefined) return;
    const incoming = traceContextOf(request.headers);
    const span = tracer.startSpan(
      `POST ${route.path}`,
      { kind: SpanKind.SERVER },
      incoming === undefined ? undefined : parentContextOf(incoming),
    );
    if (span.isRecording()) {
      span.setAttribute("http.request.method", "POST");
      span.setAttribute("http.route", route.path);
      span.setAttribute("hookyard.ingress.route", route.id);
      span.setAttribute("hookyard.ingress.verifier", route.verifierType);
    }
    spans.set(request, span);
  });
  scope.addHook("onResponse", async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.setAttribute("http.response.status_code", reply.statusCode);
    if (reply.statusCode >= 500) {
      span.setAttribute("error.type", String(reply.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  });
  return {
    outcome(request, outcome, reason) {
      const span = spans.get(request);
      if (span === undefined || !span.isRecording()) return;
      span.setAttribute("hookyard.ingress.outcome", outcome);
      if (reason !== undefined) span.setAttribute("hookyard.ingress.reason", reason);
    },
    contextOf(request) {
      const span = spans.get(request);
      return span === undefined ? undefined : traceContextOfSpan(span);
    },
  };
}
