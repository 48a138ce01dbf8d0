import type { SchedulerStats } from "@hookyard/scheduler";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Where the per-endpoint gauges come from at scrape time. */
export type StoreStatsSource = () => Promise<SchedulerStats>;

/** Hookyard's Prometheus metrics, on a registry of their own (no global state; tests create one each). */
export interface Metrics {
  readonly registry: Registry;
  readonly eventsIn: Counter<"source">;
  readonly eventsRejected: Counter<"source" | "reason">;
  readonly deliveries: Counter<"endpoint" | "outcome">;
  readonly attemptSeconds: Histogram<"endpoint">;
  /** Inbound webhook requests per ingress route and outcome (accepted, duplicate, unverified, too_large, …). */
  readonly ingressRequests: Counter<"route" | "outcome">;
  /** Settled records this instance handed off to the history store. */
  readonly historyWritten: Counter;
  /** Failed hand-off attempts (history store down or slow): records wait in the outbox meanwhile. */
  readonly historyErrors: Counter;
  /**
   * Reads queue depth, in-flight, dead letters and breaker states from the store when Prometheus scrapes, so
   * they cost nothing between scrapes and agree across instances sharing one Redis.
   */
  bindStore(stats: StoreStatsSource): void;
}

const BREAKER_STATES = ["closed", "open", "half-open"] as const;

/**
 * Remembers `make`'s result per key. For per-event and per-attempt metric updates: prom-client hashes a label
 * object on every `inc`/`observe`, so hot paths look each label set's child up once and keep it.
 */
export function perLabel<Child>(make: (value: string) => Child): (value: string) => Child {
  const children = new Map<string, Child>();
  return (value) => {
    let child = children.get(value);
    if (child === undefined) {
      child = make(value);
      children.set(value, child);
    }
    return child;
  };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "hookyard_" });
  const registers = [registry];
  let storeStats: StoreStatsSource | undefined;

  const perEndpoint = (name: string, help: string) =>
    new Gauge<"endpoint">({ name, help, labelNames: ["endpoint"], registers });
  const queueDepth = perEndpoint("hookyard_queue_depth", "Deliveries queued (due or scheduled) per endpoint");
  const inFlight = perEndpoint("hookyard_deliveries_in_flight", "Deliveries leased by workers per endpoint");
  const deadLetters = perEndpoint(
    "hookyard_dead_letters",
    "Dead letters per endpoint still in the outbox, not yet in the history store (which lists them)",
  );
  const outboxRecords = new Gauge({
    name: "hookyard_history_outbox_records",
    help: "Settled deliveries waiting in the outbox for the history store (bounded by history.outboxMaxRecords)",
    registers,
  });
  const outboxShed = new Gauge({
    name: "hookyard_history_shed_records",
    help: "Delivered records whose history was shed because the outbox was full (dead letters are never shed)",
    registers,
  });
  const endpointEnabled = perEndpoint("hookyard_endpoint_enabled", "1 when the endpoint is enabled, 0 when disabled");
  const breakerState = new Gauge<"endpoint" | "state">({
    name: "hookyard_breaker_state",
    help: "Circuit breaker state per endpoint (1 for the current state)",
    labelNames: ["endpoint", "state"],
    registers,
  });
  // One gauge's collect refreshes every store-derived gauge: one store read per scrape.
  new Gauge({
    name: "hookyard_store_up",
    help: "1 when the scheduler store answered the last scrape",
    registers,
    async collect() {
      if (!storeStats) return;
      try {
        const stats = await storeStats();
        for (const metric of [queueDepth, inFlight, deadLetters, endpointEnabled, breakerState]) metric.reset();
        outboxRecords.set(stats.outbox.records);
        outboxShed.set(stats.outbox.shed);
        for (const state of stats.endpoints) {
          const labels = { endpoint: state.endpointId };
          queueDepth.set(labels, state.queued);
          inFlight.set(labels, state.inFlight);
          deadLetters.set(labels, state.dead);
          endpointEnabled.set(labels, state.enabled ? 1 : 0);
          for (const breaker of BREAKER_STATES) {
            breakerState.set({ endpoint: state.endpointId, state: breaker }, state.breaker === breaker ? 1 : 0);
          }
        }
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });

  return {
    registry,
    eventsIn: new Counter({
      name: "hookyard_events_in_total",
      help: "Events accepted from sources and made durable",
      labelNames: ["source"],
      registers,
    }),
    eventsRejected: new Counter({
      name: "hookyard_events_rejected_total",
      help: "Events refused (malformed, unauthorized, too large) by source and reason",
      labelNames: ["source", "reason"],
      registers,
    }),
    deliveries: new Counter({
      name: "hookyard_delivery_attempts_total",
      help: "Delivery attempts by endpoint and outcome (delivered, retry, gone, rejected)",
      labelNames: ["endpoint", "outcome"],
      registers,
    }),
    ingressRequests: new Counter({
      name: "hookyard_ingress_requests_total",
      help: "Inbound webhook requests by ingress route and outcome",
      labelNames: ["route", "outcome"],
      registers,
    }),
    attemptSeconds: new Histogram({
      name: "hookyard_attempt_duration_seconds",
      help: "Latency of delivery attempts",
      labelNames: ["endpoint"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    historyWritten: new Counter({
      name: "hookyard_history_written_total",
      help: "Settled deliveries this instance wrote to the history store",
      registers,
    }),
    historyErrors: new Counter({
      name: "hookyard_history_handoff_errors_total",
      help: "Failed writes of settled deliveries to the history store (retried; records wait in the outbox)",
      registers,
    }),
    bindStore(stats) {
      storeStats = stats;
    },
  };
}
