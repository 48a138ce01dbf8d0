import type { Envelope } from "@hookyard/core";

/**
 * What the request pipeline needs from the runtime, as injected interfaces: the runtime backs dedup and the rate
 * limiter with Redis (shared by every instance) and `accept` with the scheduler; this package ships in-memory
 * implementations for tests and the embedded mode.
 */

/**
 * Makes an event durable for its targets (sink ids and/or endpoint ids). Resolves only once it is: the provider
 * gets its 2xx after that and never before. A rejection answers 503 with Retry-After, so the provider retries.
 */
export type IngressAccept = (envelope: Envelope, targets: readonly string[]) => Promise<void>;

/**
 * - `first`: nobody has this key; the caller now holds it for `leaseMs` and must `complete` or `release` it.
 * - `accepted`: an earlier request with this key was made durable: answer 200, publish nothing.
 * - `in-flight`: an earlier request holds it and is not done yet: not known to be durable, so no 2xx yet.
 */
export type DedupClaim = "first" | "accepted" | "in-flight";

/**
 * De-duplication of provider event ids, in two steps so a duplicate is never answered 2xx before the first copy
 * is durable (a plain "seen before?" set would answer a retry 200 while the first copy might still fail).
 * Redis: claim = `SET key pending NX PX leaseMs` (else GET), complete = `SET key done PX ttlMs`, release = DEL.
 */
export interface DedupStore {
  claim(key: string, leaseMs: number): Promise<DedupClaim>;
  /** The event is durable: remember the key as accepted for `ttlMs`. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** The event could not be made durable: forget the claim so the provider's retry is processed. */
  release(key: string): Promise<void>;
}

export interface RateDecision {
  readonly ok: boolean;
  /** When not ok: how long until a request would be allowed (becomes Retry-After). */
  readonly retryAfterMs: number;
}

/** A token bucket per key (the route id): `ratePerSecond` refill, `burst` capacity, one token per request. */
export interface RateLimiter {
  take(key: string, ratePerSecond: number, burst: number): Promise<RateDecision>;
}

export type IngressOutcome =
  | "accepted"
  | "duplicate"
  | "in_flight"
  | "challenge"
  | "unroutable"
  | "unverified"
  | "too_large"
  | "rate_limited"
  | "forbidden_ip"
  | "over_capacity"
  | "bad_request"
  | "unavailable";

export const INGRESS_OUTCOMES: readonly IngressOutcome[] = [
  "accepted",
  "duplicate",
  "in_flight",
  "challenge",
  "unroutable",
  "unverified",
  "too_large",
  "rate_limited",
  "forbidden_ip",
  "over_capacity",
  "bad_request",
  "unavailable",
];

/** Counts per route and outcome; the runtime maps it onto a Prometheus counter. */
export interface IngressMetrics {
  count(routeId: string, outcome: IngressOutcome): void;
}

/** A refused or unroutable request, kept for debugging: never a secret, a signature or the body. */
export interface RejectedRequest {
  readonly routeId: string;
  readonly outcome: IngressOutcome;
  /** Why, in words ("signature mismatch", "timestamp too old", "no rule matched"). */
  readonly reason: string;
  /** Request headers with signatures and credentials replaced by "[redacted]". */
  readonly headers: Readonly<Record<string, string>>;
  /** Body bytes received (or announced by Content-Length when it was refused unread). */
  readonly size: number;
  readonly remoteAddress: string;
  /** RFC 3339. */
  readonly at: string;
}

export interface RejectedLog {
  record(entry: RejectedRequest): void;
}

/** The pino methods the pipeline uses (objects first, short constant messages). */
export interface IngressLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}
