import type { DeliverySummary, SchedulerStore } from "@hookyard/scheduler";
import type { DeliveryLog } from "./delivery-log.js";
import { iso } from "./views.js";

const SAMPLE = 200;

/**
 * An endpoint's health for the dashboard: scheduler state (queue, in flight, breaker) plus figures from its latest
 * settled deliveries in the history.
 */
export async function endpointHealth(store: SchedulerStore, log: DeliveryLog, endpointId: string, now: number) {
  const [state, sample] = await Promise.all([
    store.getEndpointState(endpointId, now),
    log.queryDeliveries({ endpointIds: [endpointId], limit: SAMPLE }),
  ]);
  const attempted = sample.deliveries.filter((d) => d.lastAttempt !== undefined);
  const succeeded = attempted.filter((d) => d.status === "delivered").length;
  const failed = attempted.find((d) => d.status !== "delivered" && d.lastAttempt !== undefined);
  return {
    endpointId,
    enabled: state.enabled,
    ...(state.disabledReason === undefined ? {} : { disabledReason: state.disabledReason }),
    breaker: state.breaker,
    ...(state.openUntil === undefined ? {} : { openUntil: iso(state.openUntil) }),
    ...(state.failingSince === undefined ? {} : { failingSince: iso(state.failingSince) }),
    queued: state.queued,
    inFlight: state.inFlight,
    dead: state.dead,
    sampleSize: attempted.length,
    successRate: attempted.length === 0 ? null : succeeded / attempted.length,
    ...(failed === undefined ? {} : { lastError: lastErrorOf(failed) }),
  };
}

function lastErrorOf(delivery: DeliverySummary) {
  const attempt = delivery.lastAttempt;
  return {
    deliveryId: delivery.deliveryId,
    at: attempt?.startedAt,
    ...(attempt?.status === undefined ? {} : { status: attempt.status }),
    ...(attempt?.errorClass === undefined ? {} : { errorClass: attempt.errorClass }),
    ...(attempt?.errorMessage === undefined ? {} : { message: attempt.errorMessage }),
  };
}

/** Deliveries and latency over time, from the latest (up to 1,000) deliveries of a set of endpoints. */
export async function deliverySeries(log: DeliveryLog, endpointIds: readonly string[] | undefined, buckets: number) {
  const sample: DeliverySummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const result = await log.queryDeliveries({
      limit: 200,
      ...(endpointIds === undefined ? {} : { endpointIds }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    sample.push(...result.deliveries);
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  if (sample.length === 0) return { buckets: [] };
  const start = Math.min(...sample.map((d) => d.createdAt));
  const end = Math.max(...sample.map((d) => d.createdAt)) + 1;
  const width = Math.max(1, Math.ceil((end - start) / buckets));
  const series = Array.from({ length: buckets }, (_, i) => ({
    start: start + i * width,
    delivered: 0,
    failed: 0,
    pending: 0,
    latencies: [] as number[],
  }));
  for (const d of sample) {
    const bucket = series[Math.min(buckets - 1, Math.floor((d.createdAt - start) / width))];
    if (bucket === undefined) continue;
    if (d.status === "delivered") bucket.delivered += 1;
    else if (d.status === "dead" || d.attempts > 0) bucket.failed += 1;
    else bucket.pending += 1;
    if (d.lastAttempt !== undefined) bucket.latencies.push(d.lastAttempt.durationMs);
  }
  return {
    buckets: series.map(({ latencies, ...bucket }) => {
      const sorted = latencies.sort((a, b) => a - b);
      return {
        ...bucket,
        start: new Date(bucket.start).toISOString(),
        end: new Date(bucket.start + width).toISOString(),
        latencyAvgMs: sorted.length === 0 ? null : Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
        latencyP95Ms:
          sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? null),
      };
    }),
  };
}
