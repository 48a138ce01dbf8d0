import type { AttemptRecord, DeliveryPage, DeliveryQuery, DeliverySummary, Envelope } from "@hookyard/core";

/**
 * The history tier: settled deliveries (delivered or dead), their attempts and their envelopes, kept for
 * inspection and replay after they left the scheduler's hot tier (Redis). Two implementations, one conformance
 * suite (`describeHistoryConformance` from "@hookyard/history/testing"):
 * - PostgreSQL (`createPostgresHistoryStore`): durable, partitioned by day, retention by dropping partitions;
 * - memory (`createMemoryHistoryStore`): bounded by count, not durable.
 *
 * Semantics every implementation keeps (numbered in the package README):
 * 1. `write` is idempotent: the scheduler's outbox hands records off at least once, so a batch may arrive twice,
 *    in part or whole, in any order with later batches. A delivery is one row per settle (`deliveryId` +
 *    `settledAt`); attempts are one row per `attemptId`. Writing the same thing twice changes nothing.
 * 2. `write` resolves only once the whole batch is stored (durably, on PostgreSQL); a rejection is a
 *    `HookyardError` whose `retryable` says whether trying the same batch again may succeed (PostgreSQL down:
 *    retryable; a record the store can never take: not).
 * 3. A delivery settled again after a replay is a new settle (same `deliveryId`, later `settledAt`):
 *    `getDelivery` answers with the latest settle; the earlier one, marked by `markReplayed`, has left the lists.
 *    Attempts accumulate (all attempts of the delivery, across replays).
 * 4. Lists are newest first by creation (`createdAt`, then `deliveryId`), or oldest first when asked
 *    (`order: "oldest"`), paged by an opaque keyset cursor (which remembers its order): no gaps or repeats while
 *    records are written concurrently.
 * 5. Retention: a delivered record is kept at least `retentionMs`, a dead letter at least
 *    `deadLetterRetentionMs`, counted from `settledAt`; expiry is by whole days (partitions) or by count (memory),
 *    never by scanning rows.
 * 6. `markReplayed` hides the given deliveries' settles made at or before the replay from lists and dead
 *    letters (the delivery is live again in the scheduler); `getDelivery` still answers with the record
 *    (flagged `replayed`), so its envelope stays available.
 */
export interface HistoryStore {
  /** Which implementation: the deployment mode is a named value, never guessed. */
  readonly kind: "postgres" | "memory";
  /** Whether records survive a process crash ("postgres") or not ("memory"). */
  readonly durable: boolean;

  /** Stores settled deliveries and attempts, idempotently (semantics 1–3). */
  write(batch: HistoryBatch): Promise<void>;

  /** One page of settled deliveries, newest (or oldest) first by creation, filtered (semantics 4). */
  queryDeliveries(query: HistoryQuery): Promise<DeliveryPage>;
  /** The latest settle of one delivery, with its envelope; undefined when unknown or expired. */
  getDelivery(deliveryId: string): Promise<HistoryDelivery | undefined>;
  /** `getDelivery` for many (replay in bulk); unknown ids are left out; order not significant. */
  getDeliveries(deliveryIds: readonly string[]): Promise<HistoryDelivery[]>;
  /** Every stored attempt of the delivery across replays, oldest first (by `startedAt`, then `attemptId`). */
  listAttempts(deliveryId: string): Promise<HistoryAttempt[]>;
  /**
   * Dead letters of one endpoint not replayed since, oldest death first (by `settledAt`, then `deliveryId`),
   * with envelopes, paged by cursor (semantics 4 for the order's keyset).
   */
  listDeadLetters(endpointId: string, page: HistoryPageRequest): Promise<HistoryRecordPage>;

  /**
   * Marks these deliveries' settles made at or before `at` (the replay's time) as replayed (semantics 6): call it
   * once the scheduler has queued them again, so a settle after the replay stays listed even if it is written
   * first. Unknown ids are ignored. Returns how many settles were marked.
   */
  markReplayed(deliveryIds: readonly string[], at: number): Promise<number>;

  /**
   * Applies retention as of `now`: drops whole expired days (PostgreSQL: partitions; also creates the coming
   * days' partitions). Cheap and safe to call from every instance, e.g. once a minute.
   */
  maintain(now: number): Promise<HistoryMaintenance>;

  close(): Promise<void>;
}

export type SettledStatus = "delivered" | "dead";

/** One settle of one delivery, as the scheduler hands it off. */
export interface SettledDelivery {
  readonly deliveryId: string;
  /** The scheduler's stored message (one envelope fanned out to endpoints). */
  readonly messageId: string;
  readonly endpointId: string;
  /** The endpoint's owner (tenant) at settle time, for owner-scoped lists (the customer portal). */
  readonly owner: string;
  readonly status: SettledStatus;
  /** Why it died (dead only). */
  readonly deadReason?: string;
  /** Attempts counted since it was last queued (by enqueue or replay). */
  readonly attempts: number;
  /** When the delivery was first queued (ms); never changes across replays. */
  readonly createdAt: number;
  /** When this settle happened (ms): with `deliveryId`, identifies the settle. */
  readonly settledAt: number;
  /** The event, byte-exact, for inspection and replay. Its id is the event id, its type the event type. */
  readonly envelope: Envelope;
  /**
   * The attempts of this settle (those made since the delivery was last queued), oldest first, with headers and
   * capped bodies. They share the settle's retention. Attempts already stored (same `attemptId`) are skipped.
   */
  readonly attemptLog: readonly HistoryAttempt[];
}

/** One attempt, idempotent by `attemptId`. */
export interface HistoryAttempt extends AttemptRecord {
  /** Unique for the attempt, stable across hand-off retries (e.g. `<deliveryId>:<lease token>`). */
  readonly attemptId: string;
  /** 1 for the first attempt since the delivery was last queued. */
  readonly attempt: number;
}

/** What the outbox drainer writes in one call. */
export interface HistoryBatch {
  readonly deliveries: readonly SettledDelivery[];
}

/** A stored settle, as `getDelivery` and `listDeadLetters` return it (attempts: `listAttempts`). */
export interface HistoryDelivery extends Omit<SettledDelivery, "attemptLog"> {
  /** True once `markReplayed` was called for this settle. */
  readonly replayed: boolean;
  /** The latest attempt without headers and bodies, as lists show it. */
  readonly lastAttempt?: AttemptRecord;
}

/**
 * Filters of the history's delivery log. Extends the scheduler's `DeliveryQuery` (same meaning for every field it
 * has; `status` other than "delivered"/"dead" matches nothing here) with what only the history can answer.
 */
export interface HistoryQuery extends DeliveryQuery {
  /** The endpoints' owner (tenant), e.g. for the portal; combines with `endpointIds` by AND. */
  readonly owner?: string;
  /**
   * The event type: exact (`invoice.paid`) or a glob where `*` matches one dot-separated segment and a trailing
   * `**` any rest (`invoice.*`, `invoice.**`), the same syntax as subscriptions.
   */
  readonly type?: string;
  /**
   * JSON containment on the payload (PostgreSQL's `@>`): deliveries whose payload is a JSON document containing
   * this value, e.g. `{ "customer": { "id": "c_42" } }`. Payloads that are not JSON never match.
   */
  readonly payloadContains?: JsonValue;
  /** By creation: `newest` first (default) or `oldest` first. A cursor is only valid with the order it came from. */
  readonly order?: HistoryOrder;
}

export type HistoryOrder = "newest" | "oldest";

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface HistoryPageRequest {
  /** 1 to `MAX_HISTORY_PAGE`. */
  readonly limit: number;
  readonly cursor?: string;
}

export interface HistoryRecordPage {
  readonly deliveries: readonly HistoryDelivery[];
  /** Present when there may be more. */
  readonly nextCursor?: string;
}

export interface HistoryMaintenance {
  /** Days (partitions) dropped by retention. */
  readonly droppedDays: number;
  /** Days (partitions) created ahead. */
  readonly createdDays: number;
}

/** Retention and bounds every implementation accepts. */
export interface HistoryRetentionOptions {
  /** How long a delivered record and its attempts are kept after settling. Default 3 days. */
  readonly retentionMs?: number;
  /** How long a dead letter and its attempts are kept after dying. Default 30 days. */
  readonly deadLetterRetentionMs?: number;
}

export const DEFAULT_HISTORY_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
export const DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Largest page the history returns (the scheduler's `MAX_DELIVERY_PAGE`). */
export const MAX_HISTORY_PAGE = 200;

export type { DeliveryPage, DeliverySummary };
