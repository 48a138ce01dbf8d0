import type { Envelope } from "@hookyard/core";
import type { EnqueueRequest, SchedulerStore } from "@hookyard/scheduler";
import type { Tracer } from "@opentelemetry/api";
import { type Metrics, perLabel } from "../metrics.js";
import { traceAccept } from "./traced-accept.js";

export interface AcceptResult {
  readonly id: string;
  /** How many endpoint deliveries the event was queued for. */
  readonly deliveries: number;
  /** True when the event id was already accepted; the first call's result is returned. */
  readonly duplicate: boolean;
}

/**
 * Makes an event durable for its endpoints; resolving means it may be acked at the source (or answered 2xx).
 * The one way in for every event: broker sources and the ingest API let the subscriptions pick the endpoints;
 * ingress routes name them (`endpointIds`, their rules' targets).
 */
export type Accept = (envelope: Envelope, endpointIds?: readonly string[]) => Promise<AcceptResult>;

export interface AcceptDependencies {
  readonly route: (envelope: Envelope) => readonly string[];
  readonly store: SchedulerStore;
  readonly now: () => number;
  readonly dedupTtlMs: number;
  readonly metrics: Metrics;
  /** With tracing on: one span per accepted event, whose context is stored with it. */
  readonly tracer?: Tracer | undefined;
}

export function createAccept(dependencies: AcceptDependencies): Accept {
  const accept = createUntracedAccept(dependencies);
  return dependencies.tracer === undefined ? accept : traceAccept(accept, dependencies.tracer);
}

function createUntracedAccept({ route, store, now, dedupTtlMs, metrics }: AcceptDependencies): Accept {
  // Runs once per event: each source's counter child is kept, and the request is built without an object spread.
  const eventsIn = perLabel((source) => metrics.eventsIn.labels({ source }));
  return async (envelope, named) => {
    const endpointIds = named ?? route(envelope);
    if (endpointIds.length === 0) {
      eventsIn(envelope.source).inc();
      return { id: envelope.id, deliveries: 0, duplicate: false };
    }
    const request: { -readonly [K in keyof EnqueueRequest]: EnqueueRequest[K] } = { envelope, endpointIds, now: now() };
    if (envelope.idempotencyKey !== undefined) {
      request.dedupKey = envelope.idempotencyKey;
      request.dedupTtlMs = dedupTtlMs;
    }
    const result = await store.enqueue(request);
    if (!result.duplicate) eventsIn(envelope.source).inc();
    return { id: envelope.id, deliveries: result.deliveryIds.length, duplicate: result.duplicate };
  };
}
