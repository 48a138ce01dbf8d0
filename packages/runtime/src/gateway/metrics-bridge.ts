import type { DeliveryOutcome } from "@hookyard/core";
import type { WorkerObserver } from "@hookyard/scheduler";
import type { Metrics } from "../metrics.js";

/** Feeds attempt outcomes and latencies from the worker into the Prometheus metrics. */
export function observeWorkerInMetrics(metrics: Metrics): WorkerObserver {
  return {
    onAttempt(endpointId: string, outcome: DeliveryOutcome, durationMs: number) {
      metrics.deliveries.inc({ endpoint: endpointId, outcome: outcome.kind });
      metrics.attemptSeconds.observe({ endpoint: endpointId }, durationMs / 1000);
    },
  };
}
