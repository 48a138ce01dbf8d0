import type { Logger } from "pino";
import type { Gauge } from "prom-client";
import { type ComponentStatus, type HealthCheck, runCheck } from "../http/health.js";

/**
 * Runs each source's and sink's health check in the background, one at a time per check, and keeps the last
 * result: `/readyz` shows it without probing a broker per request, `hookyard_component_up` exports it, and a
 * change (down, or up again) is logged once, at warn and info.
 */
export interface ComponentHealth {
  add(check: HealthCheck): void;
  /** The last status of every component checked at least once, in the order they were added. */
  snapshot(): readonly ComponentStatus[];
  stop(): void;
}

export interface ComponentHealthOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly gauge: Gauge<"component">;
  readonly logger: Logger;
}

export function createComponentHealth(options: ComponentHealthOptions): ComponentHealth {
  const statuses = new Map<string, ComponentStatus | undefined>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const record = (check: HealthCheck, result: Omit<ComponentStatus, "since" | "checkedAt">) => {
    const previous = statuses.get(check.name);
    const now = new Date().toISOString();
    const changed = previous === undefined || previous.ok !== result.ok;
    statuses.set(check.name, { ...result, since: changed ? now : previous.since, checkedAt: now });
    options.gauge.set({ component: check.name }, result.ok ? 1 : 0);
    if (!changed) return;
    const [kind = "component"] = check.name.split(":");
    if (!result.ok) options.logger.warn({ component: check.name, error: result.error }, `${kind} unhealthy`);
    else if (previous !== undefined) options.logger.info({ component: check.name }, `${kind} healthy again`);
  };

  const loop = async (check: HealthCheck) => {
    if (stopped) return;
    const result = await runCheck(check, options.timeoutMs);
    // A check that ends after shutdown began says nothing worth logging.
    if (stopped) return;
    record(check, result);
    const timer = setTimeout(() => {
      timers.delete(timer);
      void loop(check);
    }, options.intervalMs);
    timer.unref();
    timers.add(timer);
  };

  return {
    add(check) {
      statuses.set(check.name, undefined);
      void loop(check);
    },
    snapshot() {
      return [...statuses.values()].filter((status): status is ComponentStatus => status !== undefined);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
