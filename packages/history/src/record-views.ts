import type { AttemptRecord, DeliverySummary } from "@hookyard/core";
import type { HistoryDelivery } from "./history-store.js";

/** The attempt as lists show it: no headers, no bodies. */
export function summaryOf(attempt: AttemptRecord): AttemptRecord {
  return {
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
    ...(attempt.status === undefined ? {} : { status: attempt.status }),
    ...(attempt.errorClass === undefined ? {} : { errorClass: attempt.errorClass }),
    ...(attempt.errorMessage === undefined ? {} : { errorMessage: attempt.errorMessage }),
  };
}

export function summarize(r: HistoryDelivery): DeliverySummary {
  return {
    deliveryId: r.deliveryId,
    messageId: r.messageId,
    endpointId: r.endpointId,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.createdAt,
    eventId: r.envelope.id,
    type: r.envelope.type,
    ...(r.deadReason === undefined ? {} : { deadReason: r.deadReason }),
    ...(r.lastAttempt === undefined ? {} : { lastAttempt: r.lastAttempt }),
  };
}
