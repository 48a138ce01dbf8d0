import type { SchedulerLogger } from "./logger.js";

/**
 * What an operator wants to hear about, as the store sees it happen: an endpoint disabled (410 Gone or failing
 * for longer than `breaker.disableAfterMs`), its breaker opening (closed → open; a failed half-open probe that
 * opens it again is not news) or closing again (a half-open probe succeeded), and a delivery dead-lettered.
 * Each change is reported once, by the store (the instance) whose `complete` call made it. Times are store ms.
 */
export type SchedulerEvent =
  | { readonly kind: "endpoint.disabled"; readonly endpointId: string; readonly at: number; readonly reason: string }
  | {
      readonly kind: "endpoint.breaker.opened";
      readonly endpointId: string;
      readonly at: number;
      /** When half-open probes begin. */
      readonly openUntil: number;
    }
  | { readonly kind: "endpoint.breaker.closed"; readonly endpointId: string; readonly at: number }
  | {
      readonly kind: "delivery.dead";
      readonly endpointId: string;
      readonly at: number;
      readonly deliveryId: string;
      readonly messageId: string;
      /** The event's type; undefined when the store had lost the envelope. */
      readonly eventType?: string;
      readonly reason: string;
      readonly attempts: number;
    };

export type SchedulerEventKind = SchedulerEvent["kind"];

/** Must not throw (a throw is logged by the store and ignored) and must not block: it runs inside `complete`. */
export type SchedulerEventListener = (event: SchedulerEvent) => void;

/** The listeners of one store: `subscribe` backs `SchedulerStore.onEvent`, `emit` runs after a `complete`. */
export interface SchedulerEventHub {
  subscribe(listener: SchedulerEventListener): () => void;
  emit(events: readonly SchedulerEvent[]): void;
}

export function createSchedulerEventHub(logger: SchedulerLogger | undefined): SchedulerEventHub {
  const listeners = new Set<SchedulerEventListener>();
  return {
    subscribe(listener) {
      const own: SchedulerEventListener = (event) => listener(event);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },
    emit(events) {
      for (const event of events) {
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (error) {
            // The change is stored already; a listener's failure must not fail the `complete` that made it.
            logger?.warn({ err: error, kind: event.kind }, "scheduler event listener failed");
          }
        }
      }
    },
  };
}
