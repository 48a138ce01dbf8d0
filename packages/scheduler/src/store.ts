import type {
  AttemptRecord,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatus,
  DeliverySummary,
  Endpoint,
  Envelope,
} from "@hookyard/core";

// The delivery log's types live in core: the history store (@hookyard/history) answers the same queries.
export type { DeliveryPage, DeliveryQuery, DeliveryStatus, DeliverySummary };

/**
 * The scheduler's storage, implemented by the Redis store (Lua scripts, durable) and the embedded store
 * (in-process, not durable). One conformance suite runs against both. Every method that takes `now` uses it
 * instead of the wall clock, so tests control time; workers pass their clock's reading.
 *
 * A delivery is one envelope for one endpoint. Its life: queued (due at a time) → leased by a worker →
 * delivered | rescheduled (queued again) | dead (dead-letter set). Deliveries of a disabled endpoint, or of an
 * endpoint whose breaker is open, stay queued ("parked"): never dropped, never counted as attempts.
 *
 * The binding semantics are numbered in the package README ("Semantics"); `describeStoreConformance` from
 * "@hookyard/scheduler/testing" checks each of them. Unknown endpoint ids make `enqueue`, `setEndpointEnabled`
 * and `getEndpointState` throw a `HookyardError` with code `ENDPOINT_UNKNOWN`.
 */
export interface SchedulerStore {
  /** Whether state survives a process crash ("redis") or not ("embedded"). */
  readonly durable: boolean;

  /**
   * Makes endpoints and their policies known (idempotent; updates policies, keeps queues and runtime state such
   * as the breaker and a runtime disable). Never forgets endpoints missing from the list (other instances may
   * still use them). An endpoint whose config says `enabled: false` is never claimed, whatever its runtime state.
   */
  syncEndpoints(endpoints: readonly Endpoint[]): Promise<void>;

  /**
   * Stores the envelope once and queues one delivery per endpoint, atomically, due at `now`. When `dedupKey` is
   * given and was seen within `dedupTtlMs`, nothing is queued and the first call's result is returned with
   * `duplicate: true`.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;

  /**
   * Leases up to `max` due deliveries for `workerId` for `leaseMs`, honouring each endpoint's concurrency cap,
   * rate limit, breaker, enabled flag and per-key order, fairly across endpoints. Also returns expired leases
   * of dead workers to their queues. `nextDueAt` is the earliest time an endpoint becomes eligible (if known).
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;

  /**
   * Settles leased deliveries in one step (a worker batches them). A result is applied only when its delivery
   * is leased by `workerId`; results for unknown deliveries or leases reclaimed by another claim are ignored.
   */
  complete(workerId: string, results: readonly CompletionResult[], now: number): Promise<void>;

  /** Extends leases still being worked on. */
  extendLeases(workerId: string, deliveryIds: readonly string[], leaseMs: number, now: number): Promise<void>;

  getDelivery(deliveryId: string): Promise<DeliveryInfo | undefined>;
  /** The attempt log, oldest first, at most the last `MAX_ATTEMPTS_LOGGED`. Empty for unknown deliveries. */
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;
  /** Dead letters of the endpoint, oldest death first, with reason, attempts and envelope. */
  listDeadLetters(endpointId: string, limit: number): Promise<DeliveryInfo[]>;

  /**
   * Queues a dead or delivered delivery again, due now, attempts reset to 0. False when the delivery is
   * unknown or already queued/leased. Under per-key order a replayed delivery joins the end of its key's line.
   */
  replayDelivery(deliveryId: string, now: number): Promise<boolean>;
  /** Queues every dead-lettered delivery of the endpoint again; returns how many. */
  replayDeadLetters(endpointId: string, now: number): Promise<number>;
  /** Queues again every delivery of the endpoint created at or after `since` that is not queued or leased. */
  replaySince(endpointId: string, since: number, now: number): Promise<number>;

  /**
   * Runtime enable/disable. Enabling clears the disabled reason, resets the breaker (window, open state and
   * failingSince) and makes the endpoint's queued deliveries due now. Disabling sets reason "disabled by operator".
   */
  setEndpointEnabled(endpointId: string, enabled: boolean, now: number): Promise<void>;
  getEndpointState(endpointId: string, now: number): Promise<EndpointState>;
  /** Queue depth, in flight, dead-letter size per endpoint, for metrics. */
  stats(): Promise<SchedulerStats>;

  /**
   * Keeps a message that could not become an event (a poison source message, a refused ingress request) for
   * inspection, so nothing is dropped silently. Bounded: the newest REJECTED_KEPT_PER_ORIGIN per origin, for the
   * dead-letter retention. Resolves once stored (durably on Redis), after which a source may ack the message.
   */
  keepRejected(message: RejectedMessage): Promise<void>;
  /** The newest rejected messages of one origin, newest first. */
  listRejected(origin: string, limit: number): Promise<RejectedMessage[]>;

  /**
   * Calls `listener` when enqueue, replay or re-enabling makes work due, so idle workers wake without polling
   * (embedded: a direct call; Redis: PUBLISH + one subscriber connection per store). Returns the unsubscribe
   * function. Listeners must not throw; a wake-up may be spurious.
   */
  onWake(listener: () => void): () => void;

  close(): Promise<void>;
}

/**
 * A store with the delivery log (semantics item 14): both built-in stores are one. Kept apart from
 * `SchedulerStore` so wrappers and fakes of the scheduler's contract need not implement it.
 */
export interface DeliveryLogStore extends SchedulerStore {
  /**
   * One page of the delivery log, newest first (by creation), filtered (semantics item 14). Fast whatever the
   * number of stored deliveries: it reads indexes written at enqueue and examines at most
   * `DELIVERY_QUERY_SCAN_LIMIT` entries per call, so a rare filter may answer a partial page with a cursor.
   */
  queryDeliveries(query: DeliveryQuery): Promise<DeliveryPage>;
  /** `replayDelivery` for many deliveries in one step (bulk replay); returns how many were queued again. */
  replayDeliveries(deliveryIds: readonly string[], now: number): Promise<number>;
  /**
   * Drops delivery log index entries whose delivery has expired, examining at most `budget` of the oldest entries
   * per index; returns how many were dropped. Call it periodically (queries also drop the ones they meet).
   */
  trimDeliveryIndex(budget?: number): Promise<number>;
}

/** Retention options every store accepts (semantics item 11). */
export interface StoreRetentionOptions {
  /** How long a delivered delivery and its attempt log are kept. Default 3 days. */
  readonly retentionMs?: number;
  /** How long a dead letter is kept unless replayed. Default 30 days. */
  readonly deadLetterRetentionMs?: number;
}

export const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
export const DEFAULT_DEAD_LETTER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** The attempt log keeps at most this many attempts per delivery (the latest). */
export const MAX_ATTEMPTS_LOGGED = 20;

/** A message kept by `keepRejected`. */
export interface RejectedMessage {
  /** Where it came from: "source:<id>" or "ingress:<route id>". */
  readonly origin: string;
  readonly reason: string;
  /** When it was rejected (ms). */
  readonly at: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The payload bytes as received. */
  readonly data: Uint8Array;
  readonly idempotencyKey?: string;
}

/** Most index entries one `queryDeliveries` call examines. */
export const DELIVERY_QUERY_SCAN_LIMIT = 5000;
/** Largest page `queryDeliveries` returns. */
export const MAX_DELIVERY_PAGE = 200;

/** How many rejected messages are kept per origin. */
export const REJECTED_KEPT_PER_ORIGIN = 10_000;

export interface EnqueueRequest {
  readonly envelope: Envelope;
  readonly endpointIds: readonly string[];
  readonly now: number;
  readonly dedupKey?: string;
  readonly dedupTtlMs?: number;
}

export interface EnqueueResult {
  readonly messageId: string;
  /** In the order of `endpointIds`. */
  readonly deliveryIds: readonly string[];
  readonly duplicate: boolean;
}

export interface ClaimRequest {
  readonly workerId: string;
  readonly max: number;
  readonly leaseMs: number;
  readonly now: number;
}

export interface ClaimResult {
  readonly deliveries: readonly ClaimedDelivery[];
  /**
   * Earliest time at which a claim may lease more: <= `now` when due work was left behind (by `max` or the
   * fairness share), absent when nothing queued can become eligible by time alone (empty, disabled, or waiting
   * for leases to settle: concurrency cap, half-open probe, per-key order).
   */
  readonly nextDueAt?: number;
}

export interface ClaimedDelivery {
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly envelope: Envelope;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** When the delivery was first queued (ms). */
  readonly createdAt: number;
}

/**
 * What became of one leased delivery. The worker decides the next time (retry policy lives in one place, in
 * JavaScript); the store applies it and updates the endpoint's breaker and failure window.
 */
export type CompletionResult =
  | { readonly deliveryId: string; readonly kind: "delivered"; readonly attempt: AttemptRecord }
  | { readonly deliveryId: string; readonly kind: "retry"; readonly attempt: AttemptRecord; readonly dueAt: number }
  | { readonly deliveryId: string; readonly kind: "dead"; readonly attempt?: AttemptRecord; readonly reason: string }
  /** 410 Gone: the endpoint is disabled; this delivery stays queued (parked) for replay. */
  | { readonly deliveryId: string; readonly kind: "gone"; readonly attempt: AttemptRecord }
  /** Given back without an attempt (shutdown, breaker opened meanwhile): queued again at `dueAt`, attempt not counted. */
  | { readonly deliveryId: string; readonly kind: "release"; readonly dueAt: number };

export interface DeliveryInfo {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  /** Attempts since the last replay (claims, minus releases). */
  readonly attempts: number;
  readonly createdAt: number;
  readonly dueAt?: number;
  readonly deadReason?: string;
  readonly envelope?: Envelope;
}

export type BreakerState = "closed" | "open" | "half-open";

export interface EndpointState {
  readonly endpointId: string;
  /** False when disabled at runtime (410, failing too long, operator) or by config. */
  readonly enabled: boolean;
  /** "410 Gone", "failing for more than <disableAfterMs> ms", "disabled by operator" or "disabled in config". */
  readonly disabledReason?: string;
  readonly breaker: BreakerState;
  readonly openUntil?: number;
  /** Since when the endpoint has failed without a success in between. */
  readonly failingSince?: number;
  readonly queued: number;
  readonly inFlight: number;
  readonly dead: number;
}

export interface SchedulerStats {
  readonly endpoints: readonly EndpointState[];
}
