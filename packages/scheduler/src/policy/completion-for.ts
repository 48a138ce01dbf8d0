import { DEFAULT_RETRY_POLICY, type DeliveryOutcome, type RetryPolicy } from "@hookyard/core";
import type { ClaimedDelivery, CompletionResult } from "../store.js";
import { nextRetry } from "./next-retry.js";

/** HTTP statuses that mean "slow down" (backpressure), not "broken". */
export function isBackpressure(outcome: DeliveryOutcome): boolean {
  const status = outcome.attempt.status;
  return outcome.kind === "retry" && (status === 429 || status === 503);
}

/**
 * Turns one attempt's outcome into the result the store applies: delivered; retry at a due time, or dead when
 * retries are exhausted or the delivery would outlive `maxAgeMs`; throttled (429/503: backpressure, honouring
 * Retry-After, not spending the retry budget); gone (410: the store disables the endpoint and parks the
 * delivery); rejected → dead.
 */
export function completionFor(
  claimed: Pick<ClaimedDelivery, "deliveryId" | "attempt"> & Partial<Pick<ClaimedDelivery, "createdAt" | "throttled">>,
  outcome: DeliveryOutcome,
  policy: RetryPolicy,
  now: number,
  random: () => number,
): CompletionResult {
  const { deliveryId } = claimed;
  switch (outcome.kind) {
    case "delivered":
      return { deliveryId, kind: "delivered", attempt: outcome.attempt };
    case "gone":
      return { deliveryId, kind: "gone", attempt: outcome.attempt };
    case "rejected": {
      const why = outcome.attempt.errorMessage ?? outcome.attempt.errorClass ?? "permanent failure";
      return { deliveryId, kind: "dead", attempt: outcome.attempt, reason: `rejected: ${why}` };
    }
    case "retry": {
      const throttled = isBackpressure(outcome);
      // Throttled attempts are recorded but do not spend the schedule: n counts the others, this one included.
      const spent = Math.max(1, claimed.attempt - (claimed.throttled ?? 0));
      const decision = nextRetry(policy, spent, throttled ? {} : outcome, random);
      if (decision.kind === "exhausted" && !throttled) {
        return { deliveryId, kind: "dead", attempt: outcome.attempt, reason: decision.reason };
      }
      const last = policy.scheduleMs[policy.scheduleMs.length - 1] ?? 0;
      const scheduled = decision.kind === "retry" ? decision.delayMs : last;
      const asked = outcome.delayMs ?? 0;
      // Backpressure waits what the endpoint asked (capped), else what a failure would have waited.
      const delayMs = throttled && asked > 0 ? Math.min(asked, policy.maxRetryAfterMs) : scheduled;
      const dueAt = now + delayMs;
      const maxAgeMs = policy.maxAgeMs ?? DEFAULT_RETRY_POLICY.maxAgeMs ?? Number.POSITIVE_INFINITY;
      if (claimed.createdAt !== undefined && dueAt - claimed.createdAt > maxAgeMs) {
        const why = throttled ? `, throttled by the endpoint (HTTP ${outcome.attempt.status})` : "";
        const reason = `max age exceeded: ${maxAgeMs} ms since queued${why}`;
        return { deliveryId, kind: "dead", attempt: outcome.attempt, reason };
      }
      return throttled
        ? { deliveryId, kind: "throttled", attempt: outcome.attempt, dueAt }
        : { deliveryId, kind: "retry", attempt: outcome.attempt, dueAt };
    }
  }
}
