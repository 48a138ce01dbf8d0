import type { AttemptErrorClass, AttemptRecord, DeliveryOutcome, RetryPolicy } from "@hookyard/core";
import { clampDelay, parseRetryAfter } from "./retry-after.js";

/**
 * The scheduler's view of an HTTP status:
 * 2xx delivered; 410 gone; 429 retry after max(Retry-After, minThrottleDelayMs) capped at maxRetryAfterMs;
 * 503 retry after Retry-After (when given) capped at maxRetryAfterMs; 3xx retry (redirects are not followed);
 * any other status retry on the endpoint's schedule.
 */
export function outcomeForStatus(
  status: number,
  retryAfter: string | undefined,
  policy: RetryPolicy,
  attempt: AttemptRecord,
  nowMs: number,
): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: "delivered", attempt };
  if (status === 410) return { kind: "gone", attempt };
  // Object.assign, not `{ ...attempt, errorClass, … }`: on Node 20 a spread followed by more properties takes a slow
  // path (microseconds per object), paid on every failed attempt of an endpoint that is down.
  const errorClass: AttemptErrorClass = status >= 300 && status < 400 ? "redirect" : "http_status";
  const failed: AttemptRecord = Object.assign({}, attempt, {
    errorClass,
    errorMessage: attempt.errorMessage ?? `HTTP ${status}`,
  });
  if (status === 429) {
    const asked = parseRetryAfter(retryAfter, nowMs) ?? 0;
    return {
      kind: "retry",
      attempt: failed,
      delayMs: clampDelay(asked, policy.minThrottleDelayMs, policy.maxRetryAfterMs),
    };
  }
  if (status === 503) {
    const asked = parseRetryAfter(retryAfter, nowMs);
    if (asked !== undefined) {
      return { kind: "retry", attempt: failed, delayMs: clampDelay(asked, 0, policy.maxRetryAfterMs) };
    }
  }
  return { kind: "retry", attempt: failed };
}
