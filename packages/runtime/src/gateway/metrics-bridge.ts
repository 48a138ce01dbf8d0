import type { DeliveryOutcome } from "@hookyard/core";
import type { CompletionResult, WorkerObserver } from "@hookyard/scheduler";
import { type Metrics, perLabel } from "../metrics.js";

/** Feeds attempt outcomes, latencies and stale (fenced-off) results from the worker into the Prometheus metrics. */
export function observeWorkerInMetrics(metrics: Metrics): WorkerObserver {
  const attempts = perLabel((endpoint) => perLabel((outcome) => metrics.deliveries.labels({ endpoint, outcome })));
  const latency = perLabel((endpoint) => metrics.attemptSeconds.labels({ endpoint }));
  return {
    onAttempt(endpointId: string, outcome: DeliveryOutcome, durationMs: number) {
      attempts(endpointId)(outcome.kind).inc();
      latency(endpointId).observe(durationMs / 1000);
    },
    onStaleCompletion(result: CompletionResult) {
      metrics.staleCompletions.labels({ kind: result.kind }).inc();
    },
    onPushed(taken: number, givenBack: number) {
      if (taken > 0) metrics.pushedLeases.labels({ result: "sent" }).inc(taken);
      if (givenBack > 0) metrics.pushedLeases.labels({ result: "given_back" }).inc(givenBack);
    },
  };
}
