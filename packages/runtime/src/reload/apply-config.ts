import type { ConfigConflict, ConfigRecords, EndpointRegistry } from "@hookyard/admin";
import { formatDuration } from "@hookyard/core";
import type { IngressRoutes } from "@hookyard/ingress";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { HookyardConfig } from "../config/types.js";
import type { ApplyConfig } from "./config-reloader.js";

export interface LiveParts {
  readonly registry: EndpointRegistry;
  readonly store: Pick<SchedulerStore, "syncEndpoints">;
  /** Ids of the sinks this instance started: sinks (broker connections) change only with a restart. */
  readonly runningSinks: ReadonlySet<string>;
  /** The worker's lease (delivery.lease changes only with a restart): every endpoint timeout must stay below it. */
  readonly runningLeaseMs: number;
  /** The served inbound routes; undefined when the instance started with none. */
  readonly ingress: () => IngressRoutes | undefined;
}

/**
 * Applies a reloaded config's live parts, in the order that never routes to something the scheduler does not know:
 * endpoint policies into the store first, then the registry (endpoints, subscriptions, event types: the router
 * follows it), then the inbound routes. Deliveries in flight keep the endpoint they were claimed with.
 */
export function createApplyConfig(parts: LiveParts): ApplyConfig {
  return async (next, live) => {
    const records = recordsOf(next);
    const conflicts = [
      ...parts.registry.checkConfig(records),
      ...sinkTargetConflicts(next, parts.runningSinks),
      ...leaseConflicts(next, parts.runningLeaseMs),
    ];
    if (conflicts.length > 0) return conflicts;
    if (live.includes("endpoints")) await parts.store.syncEndpoints(next.endpoints);
    if (live.includes("endpoints") || live.includes("subscriptions") || live.includes("eventTypes")) {
      const refused = await parts.registry.replaceConfig(records);
      if (refused.length > 0) return refused;
    }
    if (live.includes("ingress.routes")) parts.ingress()?.replace(next.ingress.routes);
    return [];
  };
}

function recordsOf(config: HookyardConfig): ConfigRecords {
  return { endpoints: config.endpoints, subscriptions: config.subscriptions, eventTypes: config.eventTypes };
}

/** Inbound routes may only name sinks already running: a new sink's broker connection starts with a restart. */
function sinkTargetConflicts(next: HookyardConfig, runningSinks: ReadonlySet<string>): ConfigConflict[] {
  const newSinks = new Set(next.sinks.filter((s) => s.enabled && !runningSinks.has(s.id)).map((s) => s.id));
  const conflicts: ConfigConflict[] = [];
  for (const [index, route] of next.ingress.routes.entries()) {
    const targets = new Set([...route.defaultTargets, ...route.rules.flatMap((rule) => rule.targets)]);
    for (const target of targets) {
      if (!newSinks.has(target)) continue;
      conflicts.push({
        path: `ingress.routes[${index}]`,
        expected: "targets this instance runs (a new sink starts only with a restart)",
        found: `sink ${JSON.stringify(target)}, not running yet`,
      });
    }
  }
  return conflicts;
}

/**
 * `validate` checks the file's timeouts against the file's lease; a reload must also check them against the lease
 * the worker runs with, or an attempt could outlive its lease and be sent twice.
 */
function leaseConflicts(next: HookyardConfig, runningLeaseMs: number): ConfigConflict[] {
  if (next.delivery.leaseMs === runningLeaseMs) return [];
  return next.endpoints.flatMap((endpoint, index) =>
    endpoint.policy.timeoutMs < runningLeaseMs
      ? []
      : [
          {
            path: `endpoints[${index}].policy.timeout`,
            expected: `a timeout shorter than the running delivery.lease (${formatDuration(runningLeaseMs)}; a new lease applies only after a restart)`,
            found: formatDuration(endpoint.policy.timeoutMs),
          },
        ],
  );
}
