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
  /**
   * Results the store refused because the worker's lease had been lost (expired and re-leased, or fenced off by a
   * newer claim), by result kind: not applied, their attempts kept in the delivery's attempt log, marked stale.
   */
  readonly staleCompletions: Counter<"kind">;
  readonly pushedLeases: Counter<"result">;
  /** Inbound webhook requests per ingress route and outcome (accepted, duplicate, unverified, too_large, …). */
  readonly ingressRequests: Counter<"route" | "outcome">;
  /** Settled records this instance handed off to the history store. */
  readonly historyWritten: Counter;
  /** Failed hand-off attempts (history store down or slow): records wait in the outbox meanwhile. */
  readonly historyErrors: Counter;
  /** Delivered records the history store refused for good (non-retryable): their history is given up. */
  readonly historyRefused: Counter;
  /** Operator alerts raised by this instance, by type (endpoint.disabled, delivery.dead, …). */
  readonly operatorEvents: Counter<"type">;
  /** 1 when a source's or sink's last health check passed, 0 when it failed (label: "source:<id>", "sink:<id>"). */
  readonly componentUp: Gauge<"component">;
  /** Payloads that failed their event type's JSON Schema, by source, type and mode (reject, warn). */
  readonly payloadSchemaFailures: Counter<"source" | "type" | "mode">;
  /** Config reloads (SIGHUP, `hookyard reload`) by result: applied, unchanged, invalid, failed. */
  readonly configReloads: Counter<"result">;
  /**
   * Queue depth, in-flight, dead letters and breaker states come from the store, which reads every endpoint for
   * them: a scrape serves the figures of the last read and starts a new read in the background once they are
   * older than `refreshMs`, so scrapes (many instances, several Prometheus) never each cost a scan and never wait
   * on one, except the very first. `hookyard_store_stats_age_seconds` says how old the figures are.
   */
  bindStore(stats: StoreStatsSource, options?: { readonly refreshMs?: number }): void;
}

/** How old the store-derived gauges may be before a scrape refreshes them (in the background). */
export const STORE_STATS_REFRESH_MS = 15_000;

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
  // Every store-derived gauge waits for the same read (the first one, or none when the figures are fresh), so a
  // scrape shows one consistent set of figures.
  const serveStore = async () => void (await cache.serve());

  const perEndpoint = (name: string, help: string) =>
    new Gauge<"endpoint">({ name, help, labelNames: ["endpoint"], registers, collect: serveStore });
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
    collect: serveStore,
  });
  // The count says how many wait, not for how long: a history store that is slow or down shows first as age.
  const outboxAge = new Gauge({
    name: "hookyard_history_outbox_age_seconds",
    help: "How long the oldest settled delivery in the outbox has waited for the history store (0 when empty)",
    registers,
    collect: serveStore,
  });
  const outboxShed = new Gauge({
    name: "hookyard_history_shed_records",
    help: "Delivered records whose history was shed because the outbox was full (dead letters are never shed)",
    registers,
    collect: serveStore,
  });
  const endpointEnabled = perEndpoint("hookyard_endpoint_enabled", "1 when the endpoint is enabled, 0 when disabled");
  const breakerState = new Gauge<"endpoint" | "state">({
    name: "hookyard_breaker_state",
    help: "Circuit breaker state per endpoint (1 for the current state)",
    labelNames: ["endpoint", "state"],
    registers,
    collect: serveStore,
  });
  const cache = createStatsCache(() => storeStats, {
    queueDepth,
    inFlight,
    deadLetters,
    endpointEnabled,
    breakerState,
    outboxRecords,
    outboxAge,
    outboxShed,
  });
  new Gauge({
    name: "hookyard_store_up",
    help: "1 when the scheduler store answered the last read of its figures",
    registers,
    async collect() {
      const up = await cache.serve();
      if (up !== undefined) this.set(up ? 1 : 0);
    },
  });
  new Gauge({
    name: "hookyard_store_stats_age_seconds",
    help: "Age of the store-derived figures (queue depth, in flight, dead letters, breakers) this scrape serves",
    registers,
    collect() {
      const age = cache.ageMs();
      if (age !== undefined) this.set(age / 1000);
    },
  });

  const configReloads = new Counter({
    name: "hookyard_config_reloads_total",
    help: "Config reloads (SIGHUP, hookyard reload) by result: applied, unchanged, invalid, failed",
    labelNames: ["result"],
    registers,
  });
  // Every result from 0, so an alert on increase(…{result="invalid"}) fires on the first refused reload.
  for (const result of ["applied", "unchanged", "invalid", "failed"]) configReloads.inc({ result }, 0);

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
    payloadSchemaFailures: new Counter({
      name: "hookyard_payload_schema_failures_total",
      help: "Payloads not matching their event type's JSON Schema, by source, type and validation mode",
      labelNames: ["source", "type", "mode"],
      registers,
    }),
    configReloads,
    attemptSeconds: new Histogram({
      name: "hookyard_attempt_duration_seconds",
      help: "Latency of delivery attempts",
      labelNames: ["endpoint"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    staleCompletions: new Counter({
      name: "hookyard_stale_completions_total",
      help: "Delivery results not applied because their lease was lost meanwhile (fencing), by result kind",
      labelNames: ["kind"],
      registers,
    }),
    pushedLeases: new Counter({
      name: "hookyard_pushed_leases_total",
      help: "Deliveries an enqueue leased to this instance's waiting worker and pushed to it: sent, or given back (its limits would not have claimed them)",
      labelNames: ["result"],
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
    historyRefused: new Counter({
      name: "hookyard_history_refused_records_total",
      help: "Delivered records the history store refused for good (non-retryable error): their history is given up",
      registers,
    }),
    operatorEvents: new Counter({
      name: "hookyard_operator_events_total",
      help: "Operator alerts raised by this instance, by type (endpoint.disabled, endpoint.breaker.opened, endpoint.breaker.closed, delivery.dead, history.outbox.filling, history.outbox.shedding)",
      labelNames: ["type"],
      registers,
    }),
    componentUp: new Gauge({
      name: "hookyard_component_up",
      help: "1 when a source's or sink's last health check passed, 0 when it failed",
      labelNames: ["component"],
      registers,
    }),
    bindStore(stats, bindOptions) {
      storeStats = stats;
      cache.refreshMs = bindOptions?.refreshMs ?? STORE_STATS_REFRESH_MS;
    },
  };
}

interface StoreGauges {
  readonly queueDepth: Gauge<"endpoint">;
  readonly inFlight: Gauge<"endpoint">;
  readonly deadLetters: Gauge<"endpoint">;
  readonly endpointEnabled: Gauge<"endpoint">;
  readonly breakerState: Gauge<"endpoint" | "state">;
  readonly outboxRecords: Gauge;
  readonly outboxAge: Gauge;
  readonly outboxShed: Gauge;
}

/** The last store figures and when they were read; at most one read in flight. */
function createStatsCache(source: () => StoreStatsSource | undefined, gauges: StoreGauges) {
  let readAt: number | undefined;
  let up: boolean | undefined;
  let reading: Promise<void> | undefined;
  const read = (stats: StoreStatsSource) => {
    reading ??= stats()
      .then(
        (figures) => {
          setStoreGauges(gauges, figures);
          up = true;
        },
        () => {
          up = false;
        },
      )
      .finally(() => {
        readAt = Date.now();
        reading = undefined;
      });
    return reading;
  };
  const cache = {
    refreshMs: STORE_STATS_REFRESH_MS,
    /** The figures to serve now: read them the first time, refresh in the background when stale. */
    async serve(): Promise<boolean | undefined> {
      const stats = source();
      if (stats === undefined) return undefined;
      if (readAt === undefined) await read(stats);
      else if (Date.now() - readAt >= cache.refreshMs) void read(stats);
      return up;
    },
    ageMs: () => (readAt === undefined ? undefined : Date.now() - readAt),
  };
  return cache;
}

/** Replaces every store-derived figure (an endpoint gone from the store disappears from the metrics). */
function setStoreGauges(gauges: StoreGauges, stats: SchedulerStats): void {
  for (const gauge of Object.values(gauges)) gauge.reset();
  gauges.outboxRecords.set(stats.outbox.records);
  gauges.outboxAge.set(stats.outbox.oldestAgeMs / 1000);
  gauges.outboxShed.set(stats.outbox.shed);
  for (const state of stats.endpoints) {
    const labels = { endpoint: state.endpointId };
    gauges.queueDepth.set(labels, state.queued);
    gauges.inFlight.set(labels, state.inFlight);
    gauges.deadLetters.set(labels, state.dead);
    gauges.endpointEnabled.set(labels, state.enabled ? 1 : 0);
    for (const breaker of BREAKER_STATES) {
      gauges.breakerState.set({ endpoint: state.endpointId, state: breaker }, state.breaker === breaker ? 1 : 0);
    }
  }
}
