import type { DeliveryOutcome } from "@hookyard/core";
import type { WorkerObserver } from "@hookyard/scheduler";
import type { Counter, Histogram } from "prom-client";
import type { Metrics } from "../metrics.js";

/**
 * Feeds attempt outcomes and latencies from the worker into the Prometheus metrics. Runs once per attempt, so each
 * endpoint's labelled children are looked up once and kept: prom-client hashes a label object on every call.
 */
export function observeWorkerInMetrics(metrics: Metrics): WorkerObserver {
  const attempts = new Map<string, Counter.Internal>();
  const latencies = new Map<string, Histogram.Internal<"endpoint">>();
  return {
    onAttempt(endpointId: string, outcome: DeliveryOutcome, durationMs: number) {
      const attemptKey = `${outcome.kind}\n${endpointId}`;
      let counter = attempts.get(attemptKey);
      if (counter === undefined) {
        counter = metrics.deliveries.labels({ endpoint: endpointId, outcome: outcome.kind });
        attempts.set(attemptKey, counter);
      }
      counter.inc();
      let histogram = latencies.get(endpointId);
      if (histogram === undefined) {
        histogram = metrics.attemptSeconds.labels({ endpoint: endpointId });
        latencies.set(endpointId, histogram);
      }
      histogram.observe(durationMs / 1000);
    },
  };
}
