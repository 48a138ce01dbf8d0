import type { AttemptRecord, Endpoint, Envelope } from "@hookyard/core";
import type { DeliveryStatus } from "../store.js";
import type { EndpointHealth } from "./endpoint-health.js";
import type { EndpointQueue } from "./endpoint-queue.js";

/** The embedded store's mutable state for one delivery. */
export interface DeliveryRecord {
  readonly id: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly createdAt: number;
  /** Per-key order: set at enqueue when the endpoint was ordered and the envelope had a key. */
  readonly orderKey: string | undefined;
  /** Tie-breaker among equal due times: enqueue (or requeue) order. */
  seq: number;
  status: DeliveryStatus;
  attempts: number;
  /** Of `attempts`, those throttled (429/503): they do not spend the retry budget. */
  throttled: number;
  dueAt: number;
  /** Bumped whenever the delivery is pushed into its queue heap; older heap entries are stale. */
  queueToken: number;
  leasedBy: string | undefined;
  leaseExpiresAt: number | undefined;
  /** Attempts since it was last queued (the last MAX_ATTEMPTS_LOGGED). */
  attemptLog: AttemptRecord[];
}

export interface MessageRecord {
  readonly envelope: Envelope;
  /** Deliveries still referencing the envelope. */
  refs: number;
}

export interface EndpointRecord {
  readonly id: string;
  config: Endpoint;
  runtimeEnabled: boolean;
  disabledReason: string | undefined;
  readonly queue: EndpointQueue;
  readonly health: EndpointHealth;
  /** GCRA theoretical arrival time. */
  tat: number | undefined;
  /** Held until then by a throttled result (429/503 and its Retry-After). */
  pausedUntil: number | undefined;
  /** Last claim that served this endpoint: it queues behind endpoints waiting since earlier (fairness). */
  lastClaimAt: number;
  /** Bumped on every re-index; older entries of the endpoint index are stale. */
  indexToken: number;
  /** Score of the endpoint's current index entry; undefined when it has none. */
  indexedScore: number | undefined;
  counts: { queued: number; leased: number };
  /** The endpoint's live deliveries (re-enabling makes its queued ones due now). */
  readonly deliveries: Map<string, DeliveryRecord>;
}
