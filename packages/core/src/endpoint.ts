/** A webhook signing secret: `whsec_…` (HMAC-SHA256, "v1") or an ed25519 private key (`whsk_…`, "v1a"). */
export interface SigningSecret {
  readonly secret: string;
  /** Secrets past this time are no longer used (end of a rotation's grace period). ISO time. */
  readonly expiresAt?: string;
}

export interface RetryPolicy {
  /** Delay before each retry in ms; its length is the number of retries. */
  readonly scheduleMs: readonly number[];
  /** Random spread added to each delay, as a fraction of it (0.1 = up to +10%). */
  readonly jitter: number;
  /** Longest `Retry-After` honoured; longer values are capped to this. */
  readonly maxRetryAfterMs: number;
  /** Least wait after a timeout or a 429. */
  readonly minThrottleDelayMs: number;
  /**
   * Longest a delivery stays live, counted from when it was first queued: a retry (or a throttled 429/503, which
   * does not spend the schedule) that would fall later makes it dead with reason "max age exceeded …". Default
   * `DEFAULT_RETRY_POLICY.maxAgeMs` (4 days, above the default schedule's ~3.4 days with jitter).
   */
  readonly maxAgeMs?: number;
}

export interface RateLimitPolicy {
  readonly perSecond: number;
  readonly burst: number;
}

export interface BreakerPolicy {
  /** Window over which the failure rate is measured. */
  readonly windowMs: number;
  /** No opening below this many requests in the window. */
  readonly minRequests: number;
  /** Failure rate (0..1) at which the breaker opens. */
  readonly failureRate: number;
  /** How long it stays open before half-open probes. */
  readonly cooldownMs: number;
  /** An endpoint failing continuously for this long is disabled (0 = never). */
  readonly disableAfterMs: number;
}

export interface EndpointPolicy {
  readonly retry: RetryPolicy;
  readonly breaker: BreakerPolicy;
  /** Most deliveries in flight at once to this endpoint. */
  readonly concurrency: number;
  readonly rateLimit?: RateLimitPolicy;
  /** Deliveries with the same envelope key go out in order, one at a time. */
  readonly orderedByKey: boolean;
  /** Whole-request timeout for one attempt. */
  readonly timeoutMs: number;
}

/**
 * What the request body is: "standard" (the default) wraps a JSON payload in the Standard Webhooks structure
 * `{"type", "timestamp", "data"}`, so receivers can tell an event's type; "raw" sends the payload bytes as they are.
 */
export type PayloadFormat = "standard" | "raw";

export interface Endpoint {
  readonly id: string;
  readonly url: string;
  /** The customer that owns it. */
  readonly owner: string;
  readonly secrets: readonly SigningSecret[];
  readonly headers: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  readonly policy: EndpointPolicy;
  /** HTTP CONNECT proxy URL for static egress IPs. */
  readonly proxy?: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Default "standard". */
  readonly payload?: PayloadFormat;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Close to the Standard Webhooks guidance: immediate, 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  scheduleMs: Object.freeze([
    0,
    5 * SECOND,
    5 * MINUTE,
    30 * MINUTE,
    2 * HOUR,
    5 * HOUR,
    10 * HOUR,
    14 * HOUR,
    20 * HOUR,
    24 * HOUR,
  ]),
  jitter: 0.1,
  maxRetryAfterMs: 6 * HOUR,
  minThrottleDelayMs: MINUTE,
  maxAgeMs: 4 * 24 * HOUR,
});

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = Object.freeze({
  windowMs: MINUTE,
  minRequests: 20,
  failureRate: 0.5,
  cooldownMs: 30 * SECOND,
  disableAfterMs: 5 * 24 * HOUR,
});

export const DEFAULT_ENDPOINT_POLICY: EndpointPolicy = Object.freeze({
  retry: DEFAULT_RETRY_POLICY,
  breaker: DEFAULT_BREAKER_POLICY,
  concurrency: 10,
  orderedByKey: false,
  timeoutMs: 15 * SECOND,
});
