import { DEFAULT_BREAKER_POLICY, DEFAULT_RETRY_POLICY, type Endpoint } from "@hookyard/core";

/**
 * Ingress events bound for a sink are queued in the scheduler like webhook deliveries, to an internal endpoint per
 * sink: the provider gets its 2xx once the event is durable in Redis, and the sink publishes it with the same
 * retries, breaker and dead-letter set as any endpoint.
 */
export const SINK_ENDPOINT_PREFIX = "sink:";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export function sinkEndpointId(sinkId: string): string {
  return `${SINK_ENDPOINT_PREFIX}${sinkId}`;
}

export function sinkIdOf(endpointId: string): string | undefined {
  return endpointId.startsWith(SINK_ENDPOINT_PREFIX) ? endpointId.slice(SINK_ENDPOINT_PREFIX.length) : undefined;
}

export function sinkEndpoint(sinkId: string): Endpoint {
  return {
    id: sinkEndpointId(sinkId),
    url: `sink://${encodeURIComponent(sinkId)}`,
    owner: "hookyard",
    secrets: [],
    headers: {},
    enabled: true,
    policy: {
      // A broker that is down comes back in seconds or minutes, not hours: retry sooner than webhooks do, and for
      // as long (24 h) before dead-lettering.
      retry: {
        ...DEFAULT_RETRY_POLICY,
        scheduleMs: [
          0,
          SECOND,
          5 * SECOND,
          15 * SECOND,
          MINUTE,
          5 * MINUTE,
          15 * MINUTE,
          60 * MINUTE,
          4 * 60 * MINUTE,
          12 * 60 * MINUTE,
          24 * 60 * MINUTE,
        ],
        minThrottleDelayMs: SECOND,
      },
      breaker: { ...DEFAULT_BREAKER_POLICY, cooldownMs: 5 * SECOND, disableAfterMs: 0 },
      concurrency: 256,
      orderedByKey: false,
      timeoutMs: 30 * SECOND,
    },
  };
}
