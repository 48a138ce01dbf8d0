import type { DeliveryOutcome, Endpoint } from "@hookyard/core";

/**
 * A deleted endpoint stays behind as a tombstone: routed nothing, hidden from every list, its id never reused
 * (dead letters and history keep naming it). The worker still finds it, so deliveries that were queued or in
 * flight when it was deleted settle through the normal path: each next attempt is answered `endpointDeleted()`
 * and dead-lettered with reason "rejected: endpoint deleted" (kept with their events for the dead-letter retention, never dropped).
 */
export function tombstoneOf(endpoint: Endpoint): Endpoint {
  return {
    ...endpoint,
    enabled: true,
    headers: {},
    policy: {
      ...endpoint.policy,
      concurrency: Math.max(endpoint.policy.concurrency, 16),
      orderedByKey: false,
      retry: { ...endpoint.policy.retry, scheduleMs: [] },
      // Failing every attempt is the point: the breaker must not park the queue instead of draining it.
      breaker: { ...endpoint.policy.breaker, failureRate: 1, minRequests: Number.MAX_SAFE_INTEGER, disableAfterMs: 0 },
    },
  };
}

export const ENDPOINT_DELETED_REASON = "endpoint deleted";

/** What the worker's send answers for a tombstone's delivery: a permanent failure, so it is dead-lettered. */
export function endpointDeleted(now: number = Date.now()): DeliveryOutcome {
  return {
    kind: "rejected",
    attempt: { startedAt: new Date(now).toISOString(), durationMs: 0, errorMessage: ENDPOINT_DELETED_REASON },
  };
}
