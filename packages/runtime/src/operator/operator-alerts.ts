import { randomUUID } from "node:crypto";
import { createEnvelope } from "@hookyard/core";
import type { SchedulerEvent, SchedulerStore } from "@hookyard/scheduler";
import type { Logger } from "pino";
import { isOperatorEndpoint } from "../config/operator-endpoint-id.js";
import type { OperatorEventType } from "../config/operator-event-types.js";
import type { OperatorEndpoint } from "../config/types.js";
import type { Metrics } from "../metrics.js";

export interface OperatorAlertsOptions {
  readonly store: Pick<SchedulerStore, "enqueue">;
  readonly endpoints: readonly OperatorEndpoint[];
  /** The owner of an endpoint an alert is about (customer endpoints), for the alert's data. */
  readonly ownerOf: (endpointId: string) => string | undefined;
  readonly metrics: Pick<Metrics, "operatorEvents">;
  readonly logger: Logger;
  /** Store clock (ms): operator webhooks are queued due now. */
  readonly now: () => number;
}

/** What an alert says; no secrets (no URLs, headers or payloads): ids, reasons, counts and times. */
export type AlertData = Readonly<Record<string, string | number | undefined>>;

/**
 * Operator alerts: each is logged at warn, counted in `hookyard_operator_events_total{type}` and, for every
 * operator endpoint asking for its type, queued as a webhook in the same scheduler as customer deliveries (so it
 * is signed, retried, rate-limited, behind a breaker and the SSRF guard). The payload's `data` is the alert.
 *
 * Loop guard: an alert about an operator endpoint itself (its breaker, its disabling, its dead letters) is logged
 * and counted but never delivered, so a failing operator endpoint cannot feed alerts about its own failures back
 * into the scheduler. Alerts are raised from inside the store's `complete`, so queueing them never blocks it.
 */
export interface OperatorAlerts {
  /** `at`: when it happened (store clock ms), default now. */
  raise(type: OperatorEventType, data: AlertData, aboutEndpoint?: string, at?: number): void;
  /**
   * An alert about state every instance shares (the history outbox lives in the scheduler store): each instance
   * logs and counts it, but its webhook is queued once per `windowMs` across all instances (the store's dedup
   * key `operator-alert:<type>`), so N instances watching one outbox don't page N times.
   */
  raiseShared(type: OperatorEventType, data: AlertData, windowMs: number): void;
  /** The scheduler's report of a change (`SchedulerStore.onEvent`) as an alert. */
  fromScheduler(event: SchedulerEvent): void;
  /** Resolves once every alert raised so far is queued (or failed to be): tests and shutdown. */
  idle(): Promise<void>;
}

export function createOperatorAlerts(options: OperatorAlertsOptions): OperatorAlerts {
  const { store, logger, metrics } = options;
  const pending = new Set<Promise<void>>();
  const counters = new Map<OperatorEventType, { inc(): void }>();
  const counter = (type: OperatorEventType) => {
    let found = counters.get(type);
    if (found === undefined) {
      found = metrics.operatorEvents.labels({ type });
      counters.set(type, found);
    }
    return found;
  };

  function deliver(type: OperatorEventType, data: AlertData, at: number, sharedWindowMs?: number): void {
    const targets = options.endpoints
      .filter((target) => target.endpoint.enabled && target.events.includes(type))
      .map((target) => target.endpoint.id);
    if (targets.length === 0) return;
    const envelope = createEnvelope({
      id: `alert_${randomUUID()}`,
      source: "hookyard",
      type,
      time: new Date(at),
      contentType: "application/json",
      data: JSON.stringify(data),
    });
    const queued = store
      .enqueue({
        envelope,
        endpointIds: targets,
        now: options.now(),
        ...(sharedWindowMs === undefined ? {} : { dedupKey: `operator-alert:${type}`, dedupTtlMs: sharedWindowMs }),
      })
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, alert: type }, "operator alert could not be queued"),
      )
      .finally(() => pending.delete(queued));
    pending.add(queued);
  }

  function announce(
    type: OperatorEventType,
    data: AlertData,
    aboutEndpoint: string | undefined,
    at: number,
    sharedWindowMs?: number,
  ): void {
    counter(type).inc();
    const aboutOperator = aboutEndpoint !== undefined && isOperatorEndpoint(aboutEndpoint);
    logger.warn({ alert: type, ...data, ...(aboutOperator ? { delivered: false } : {}) }, "operator alert");
    if (!aboutOperator) deliver(type, { ...data, at: new Date(at).toISOString() }, at, sharedWindowMs);
  }

  const raise = (type: OperatorEventType, data: AlertData, aboutEndpoint?: string, at = options.now()) =>
    announce(type, data, aboutEndpoint, at);

  return {
    raise,
    raiseShared: (type, data, windowMs) => announce(type, data, undefined, options.now(), windowMs),
    fromScheduler(event) {
      raise(event.kind, schedulerAlertData(event, options.ownerOf(event.endpointId)), event.endpointId, event.at);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

function schedulerAlertData(event: SchedulerEvent, owner: string | undefined): AlertData {
  const endpoint = { endpointId: event.endpointId, ...(owner === undefined ? {} : { owner }) };
  switch (event.kind) {
    case "endpoint.disabled":
      return { ...endpoint, reason: event.reason };
    case "endpoint.breaker.opened":
      return { ...endpoint, openUntil: new Date(event.openUntil).toISOString() };
    case "endpoint.breaker.closed":
      return endpoint;
    case "delivery.dead":
      return {
        ...endpoint,
        deliveryId: event.deliveryId,
        messageId: event.messageId,
        ...(event.eventType === undefined ? {} : { eventType: event.eventType }),
        reason: event.reason,
        attempts: event.attempts,
      };
  }
}
