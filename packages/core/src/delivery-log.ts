import type { AttemptRecord } from "./outcome.js";

/**
 * The delivery log's shapes, shared by the scheduler (live deliveries, in Redis or in process) and the history
 * store (settled deliveries, in PostgreSQL or in memory), so the admin API reads both the same way.
 */
export type DeliveryStatus = "queued" | "leased" | "delivered" | "dead";

/** Filters of the delivery log (`queryDeliveries`); they combine with AND. */
export interface DeliveryQuery {
  /** Only deliveries to these endpoints (one endpoint, or an owner's); absent or empty = every endpoint. */
  readonly endpointIds?: readonly string[];
  readonly status?: DeliveryStatus;
  /** The envelope id (`webhook-id`). */
  readonly eventId?: string;
  /** The event type, exactly. */
  readonly type?: string;
  /** Created at or after (ms, store clock). */
  readonly from?: number;
  /** Created before (ms, store clock). */
  readonly before?: number;
  /** Page size, 1 to `MAX_DELIVERY_PAGE`. */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** One delivery as the delivery log lists it (no payload). */
export interface DeliverySummary {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: number;
  readonly eventId?: string;
  readonly type?: string;
  readonly deadReason?: string;
  /** The latest attempt without headers and bodies (listAttempts has them). */
  readonly lastAttempt?: AttemptRecord;
}

export interface DeliveryPage {
  readonly deliveries: readonly DeliverySummary[];
  /** Present when there may be more: pass it as `cursor`. A page may be short (even empty) and still have one. */
  readonly nextCursor?: string;
  /** Index entries examined for this page. */
  readonly scanned: number;
}
