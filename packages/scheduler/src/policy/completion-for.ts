import type { DeliveryOutcome, RetryPolicy } from "@hookyard/core";
import type { ClaimedDelivery, CompletionResult } from "../store.js";
import { nextRetry } from "./next-retry.js";

/**
 * Turns one attempt's outcome into the result the store applies: delivered; retry at a due time, or dead when
 * retries are exhausted; gone (410: the store disables the endpoint and parks the delivery); rejected → dead.
 */
export function completionFor(
  claimed: Pick<ClaimedDelivery, "deliveryId" | "attempt">,
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
      const decision = nextRetry(policy, claimed.attempt, outcome, random);
      return decision.kind === "retry"
        ? { deliveryId, kind: "retry", attempt: outcome.attempt, dueAt: now + decision.delayMs }
        : { deliveryId, kind: "dead", attempt: outcome.attempt, reason: decision.reason };
    }
  }
}
