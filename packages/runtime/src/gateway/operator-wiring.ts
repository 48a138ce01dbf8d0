import type { Clock, SchedulerStore } from "@hookyard/scheduler";
import type { Logger } from "pino";
import type { HookyardConfig } from "../config/types.js";
import type { Metrics } from "../metrics.js";
import { createOperatorAlerts, type OperatorAlerts } from "../operator/operator-alerts.js";
import type { Teardown } from "./teardown.js";

/**
 * Operator alerts from what the store reports (breakers, disabling, dead letters) and, through the returned
 * object, from the history hand-off (outbox filling, shedding). Stops listening before the store closes.
 */
export function startOperatorAlerts(
  config: HookyardConfig,
  wiring: {
    readonly store: SchedulerStore;
    readonly ownerOf: (endpointId: string) => string | undefined;
    readonly metrics: Metrics;
    readonly logger: Logger;
    readonly clock: Clock;
    readonly teardown: Teardown;
  },
): OperatorAlerts {
  const alerts = createOperatorAlerts({
    store: wiring.store,
    endpoints: config.operator.endpoints,
    ownerOf: wiring.ownerOf,
    metrics: wiring.metrics,
    logger: wiring.logger.child({ component: "operator" }),
    now: () => wiring.clock.now(),
  });
  const unsubscribe = wiring.store.onEvent((event) => alerts.fromScheduler(event));
  wiring.teardown.add(async () => {
    unsubscribe();
    await alerts.idle();
  });
  return alerts;
}
