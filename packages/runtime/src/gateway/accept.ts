import type { Envelope } from "@hookyard/core";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { Metrics } from "../metrics.js";

export interface AcceptResult {
  readonly id: string;
  /** How many endpoint deliveries the event was queued for. */
  readonly deliveries: number;
  /** True when the event id was already accepted; the first call's result is returned. */
  readonly duplicate: boolean;
}

/** Routes an event to its endpoints and makes it durable; resolving means it may be acked at the source. */
export type Accept = (envelope: Envelope) => Promise<AcceptResult>;

export interface AcceptDependencies {
  readonly route: (envelope: Envelope) => readonly string[];
  readonly store: SchedulerStore;
  readonly now: () => number;
  readonly dedupTtlMs: number;
  readonly metrics: Metrics;
}

export function createAccept({ route, store, now, dedupTtlMs, metrics }: AcceptDependencies): Accept {
  return async (envelope) => {
    const endpointIds = route(envelope);
    if (endpointIds.length === 0) {
      metrics.eventsIn.inc({ source: envelope.source });
      return { id: envelope.id, deliveries: 0, duplicate: false };
    }
    const result = await store.enqueue({
      envelope,
      endpointIds,
      now: now(),
      ...(envelope.idempotencyKey === undefined ? {} : { dedupKey: envelope.idempotencyKey, dedupTtlMs }),
    });
    if (!result.duplicate) metrics.eventsIn.inc({ source: envelope.source });
    return { id: envelope.id, deliveries: result.deliveryIds.length, duplicate: result.duplicate };
  };
}
