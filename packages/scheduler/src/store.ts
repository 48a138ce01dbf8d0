import type {
  AttemptRecord,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatus,
  DeliverySummary,
  Endpoint,
  Envelope,
} from "@hookyard/core";
import type { SchedulerEventListener } from "./scheduler-events.js";

// The delivery log's types live in core: the history store (@hookyard/history) answers the same queries.
export type { DeliveryPage, DeliveryQuery, DeliveryStatus, DeliverySummary };

/**
 * The scheduler's storage, implemented by the Redis store (Lua scripts, durable) and the embedded store
 * (in-process, not durable). One conformance suite runs against both. Every method that takes `now` uses it
 * instead of the wall clock, so tests control time; workers pass their clock's reading.
 *
 * A delivery is one envelope for one endpoint. Its life: queued (due at a time) → leased by a worker →
 * delivered | rescheduled (queued again) | dead. A delivery that settles (delivered or dead) leaves the store in
 * the step that settles it, and its record goes to the store's outbox, drained into the history store
 * (`takeSettled` / `ackSettled`): the store holds live scheduling state only. Deliveries of a disabled endpoint,
 * or of an endpoint whose breaker is open, stay queued ("parked"): never dropped, never counted as attempts.
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
   * is leased by `workerId` under the result's `leaseToken` (the fencing token of the claim that leased it; any
   * lease of `workerId` when the result has none). Any other result is **stale** (the lease expired and the
   * delivery was re-leased, settled or released meanwhile): not applied, reported in `stale`, and its attempt
   * record, if any, is added to the delivery's attempt log marked `stale: true` while the delivery is live.
   */
  complete(workerId: string, results: readonly CompletionResult[], now: number): Promise<CompleteReport>;

  /**
   * Extends leases still being worked on: a delivery id, or a lease with its fencing token (then only that very
   * lease is extended).
   */
  extendLeases(workerId: string, leases: readonly LeaseRef[], leaseMs: number, now: number): Promise<void>;

  /** A live (queued or leased) delivery; undefined once it settled (its record is then in the history store). */
  getDelivery(deliveryId: string): Promise<DeliveryInfo | undefined>;
  /**
   * The attempts of a live delivery since it was last queued, oldest first, at most the last
   * `MAX_ATTEMPTS_LOGGED`. Empty for unknown or settled deliveries (the history store has those).
   */
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;

  /**
   * Queues settled deliveries again (replay from the history store): same delivery id, message id and creation
   * time, due now, attempts 0; under per-key order each joins the end of its key's line. A delivery that is live
   * (queued or leased) is left alone, and so is one whose endpoint is unknown. Returns the ids queued again.
   */
  requeue(deliveries: readonly RequeueRequest[], now: number): Promise<string[]>;

  /**
   * Runtime enable/disable. Enabling clears the disabled reason, resets the breaker (window, open state and
   * failingSince) and makes the endpoint's queued deliveries due now. Disabling sets reason "disabled by operator".
   */
  setEndpointEnabled(endpointId: string, enabled: boolean, now: number): Promise<void>;
  getEndpointState(endpointId: string, now: number): Promise<EndpointState>;
  /** Queue depth, in flight, dead letters not yet handed off per endpoint, and the outbox, for metrics. */
  stats(): Promise<SchedulerStats>;

  /**
   * Keeps a message that could not become an event (a poison source message, a refused ingress request) for
   * inspection, so nothing is dropped silently. Bounded: the newest REJECTED_KEPT_PER_ORIGIN per origin, for
   * REJECTED_RETENTION_MS. Resolves once stored (durably on Redis), after which a source may ack the message.
   */
  keepRejected(message: RejectedMessage): Promise<void>;
  /** The newest rejected messages of one origin, newest first. */
  listRejected(origin: string, limit: number): Promise<RejectedMessage[]>;

  /**
   * The hand-off to the history tier (semantics item 11): a delivery that settles (delivered or dead) leaves
   * the store in the same step, and its record goes to the store's outbox. `takeSettled` leases about `max`
   * records to `consumer` (records another consumer took more than `reclaimAfterMs` ago and never acknowledged
   * come back first); `ackSettled` removes them once the history store has them. An outbox may keep several
   * records in one entry (the Redis store's hold up to 16): they share an entry id, are taken together (a take
   * may then return up to about twice `max`) and must be acknowledged together. At least once: a record may be
   * taken twice. Bounded by `outboxMaxRecords`: when full, delivered records are shed (counted), dead letters
   * never are.
   */
  takeSettled(request: TakeSettledRequest): Promise<SettledEntry[]>;
  ackSettled(entries: readonly SettledEntry[]): Promise<void>;
  /**
   * The newest settle of a delivery while its record still waits in the outbox (settled, not yet acknowledged by
   * the history hand-off), so a delivery is readable between leaving the live state and reaching the history.
   */
  findSettled(deliveryId: string): Promise<SettledRecord | undefined>;
  /**
   * Records waiting in the outbox, how many were shed since the store's data began, and the age of the oldest
   * waiting one at `now` (store clock; default the store's own: Redis time, or the embedded store's latest `now`).
   */
  outboxStats(now?: number): Promise<OutboxStats>;
  /** Called after this store's `complete` put records in the outbox (a local signal for the drainer). */
  onSettled(listener: () => void): () => void;

  /**
   * Calls `listener` for each endpoint disabled, breaker opened or closed and delivery dead-lettered by this
   * store's own `complete` calls (so across instances each change is reported once), after the change is stored.
   * Operator alerts are built on it. Returns the unsubscribe function.
   */
  onEvent(listener: SchedulerEventListener): () => void;

  /**
   * Calls `listener` when enqueue, requeue, re-enabling or a settled lease makes work due, so idle workers wake
   * without polling (embedded: a direct call; Redis: SPUBLISH + one sharded subscriber per store). `dueAt`, when
   * given, is when that work becomes due: later than now (a 429 held until its Retry-After) means "wake then",
   * not "claim now". Returns the unsubscribe function. Listeners must not throw; a wake-up may be spurious.
   */
  onWake(listener: (dueAt?: number) => void): () => void;

  /**
   * Pushed leases (Redis, one store on one Redis): while `workerId` waits for work with room (its last claim left
   * it some), for up to `idleTtlMs` after that claim, an enqueue may lease new deliveries to it at once, within
   * that claim's `rooms` and `endpointRoom`, and hand them over here: the worker learns of the work with the
   * work, without a wake-up and a claim round trip. Leases as a claim's, same fencing: a lease never acted on expires and comes
   * back like any other. Undefined where the store does not push (embedded, sharded). Returns the unsubscribe.
   */
  onPush?(
    workerId: string,
    listener: (deliveries: readonly ClaimedDelivery[]) => void,
    options: { readonly idleTtlMs: number },
  ): (() => void) | undefined;

  close(): Promise<void>;
}

/** Options every store accepts for its outbox (semantics item 11). */
export interface StoreOutboxOptions {
  /**
   * Most settled records waiting for the history store (PostgreSQL slow or down). Past it, delivered records
   * are shed (their history is lost, counted in `outboxStats().shed`); dead letters are always kept. Default
   * 100,000.
   */
  readonly outboxMaxRecords?: number;
}

export const DEFAULT_OUTBOX_MAX_RECORDS = 100_000;

/** One settled delivery's record, as the outbox hands it to the history store. */
export interface SettledRecord {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: "delivered" | "dead";
  readonly deadReason?: string;
  /** Attempts since it was last queued. */
  readonly attempts: number;
  readonly createdAt: number;
  /** When it settled (store clock). */
  readonly settledAt: number;
  /** Undefined only when the store had lost it (a delivery dead with "envelope missing"). */
  readonly envelope?: Envelope;
  /** The attempts since it was last queued, oldest first (at most `MAX_ATTEMPTS_LOGGED`). */
  readonly attemptLog: readonly AttemptRecord[];
}

export interface SettledEntry {
  /** The outbox entry (acknowledged by `ackSettled`, with every other record of the same entry). */
  readonly entryId: string;
  readonly record: SettledRecord;
}

export interface TakeSettledRequest {
  /** Who takes them (one id per drainer). */
  readonly consumer: string;
  readonly max: number;
  /** Records taken by a consumer that has not acknowledged them for this long are taken again. */
  readonly reclaimAfterMs: number;
  readonly now: number;
  /**
   * Also forget other consumers that hold nothing and have not taken anything for this long: each drainer is a
   * consumer of the Redis store's group, so instances that died would otherwise stay there for good. Stores
   * without such state ignore it.
   */
  readonly forgetIdleConsumersMs?: number;
}

export interface OutboxStats {
  /** Records waiting (taken or not). */
  readonly records: number;
  /** Delivered records dropped because the outbox was full. */
  readonly shed: number;
  /**
   * How long the oldest waiting record (the first in settle order, taken or not) has waited: `now` minus its
   * `settledAt`, both on the store clock, in ms; 0 when none waits (never negative). A history store that is
   * slow or down shows here first: the count may stay low while the records that do wait get old.
   */
  readonly oldestAgeMs: number;
}

/** A settled delivery to queue again (`requeue`), as the history store has it. */
export interface RequeueRequest {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly createdAt: number;
  readonly envelope: Envelope;
}

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

/** Largest page `queryDeliveries` returns. */
export const MAX_DELIVERY_PAGE = 200;

/** How many rejected messages are kept per origin. */
export const REJECTED_KEPT_PER_ORIGIN = 10_000;
/** How long an origin's rejected messages are kept after the latest one (30 days). */
export const REJECTED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

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
  /**
   * The claiming worker's room per endpoint (its fair share of its in-flight budget and the endpoint's adaptive
   * limit, minus what it already sends there): at most this many of that endpoint in this claim; 0 skips the
   * endpoint (it stays due for other workers, and `nextDueAt` ignores it). Endpoints not listed: `endpointRoom`.
   */
  readonly rooms?: ReadonlyMap<string, number>;
  /** Room for endpoints not in `rooms` (default: no limit beyond the fair share and the policy's concurrency). */
  readonly endpointRoom?: number;
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

/** A lease to extend: a delivery id (any lease of the worker), or the delivery with its fencing token. */
export type LeaseRef = string | { readonly deliveryId: string; readonly leaseToken: string };

/** What `complete` did with a batch of results. */
export interface CompleteReport {
  /** Results applied. */
  readonly applied: number;
  /** Delivery ids of the stale results (lease lost or fenced off): not applied. */
  readonly stale: readonly string[];
}

export interface ClaimedDelivery {
  readonly deliveryId: string;
  /**
   * The fencing token of this lease, unique per claim of a delivery: results and lease extensions carry it back,
   * so a worker whose lease expired and was re-leased (even to itself) cannot settle or extend the new lease.
   */
  readonly leaseToken: string;
  readonly endpointId: string;
  readonly envelope: Envelope;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** When the delivery was first queued (ms). */
  readonly createdAt: number;
  /** Attempts of `attempt` that were throttled (429/503): they do not spend the retry budget. Default 0. */
  readonly throttled?: number;
}

/**
 * What became of one leased delivery. The worker decides the next time (retry policy lives in one place, in
 * JavaScript); the store applies it and updates the endpoint's breaker and failure window.
 */
export type CompletionResult = CompletionKind & {
  /** The `leaseToken` of the claim this result is for (fencing); without it, any lease of the worker matches. */
  readonly leaseToken?: string;
};

type CompletionKind =
  | { readonly deliveryId: string; readonly kind: "delivered"; readonly attempt: AttemptRecord }
  | { readonly deliveryId: string; readonly kind: "retry"; readonly attempt: AttemptRecord; readonly dueAt: number }
  /** Without `attempt` the lease made no attempt (e.g. its envelope was lost) and is not counted as one. */
  | { readonly deliveryId: string; readonly kind: "dead"; readonly attempt?: AttemptRecord; readonly reason: string }
  /**
   * 429/503 (backpressure): queued again at `dueAt` and the whole endpoint held until then; the attempt is
   * logged and counted but not as a breaker failure, and it does not spend the retry budget (`throttled`).
   */
  | { readonly deliveryId: string; readonly kind: "throttled"; readonly attempt: AttemptRecord; readonly dueAt: number }
  /** 410 Gone: the endpoint is disabled; this delivery stays queued (parked) for replay. */
  | { readonly deliveryId: string; readonly kind: "gone"; readonly attempt: AttemptRecord }
  /** Given back without an attempt (shutdown, breaker opened meanwhile): queued again at `dueAt`, attempt not counted. */
  | { readonly deliveryId: string; readonly kind: "release"; readonly dueAt: number };

export interface DeliveryInfo {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  /** Attempts since it was last queued (claims, minus releases). */
  readonly attempts: number;
  readonly createdAt: number;
  readonly dueAt?: number;
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
  /** While open: when it turns half-open; while half-open: when its cooldown ended. */
  readonly openUntil?: number;
  /** Since when the endpoint has failed without a success in between. */
  readonly failingSince?: number;
  readonly queued: number;
  readonly inFlight: number;
  /** Dead letters of the endpoint still in the outbox (not yet in the history store, which lists them). */
  readonly dead: number;
}

export interface SchedulerStats {
  readonly endpoints: readonly EndpointState[];
  readonly outbox: OutboxStats;
}
