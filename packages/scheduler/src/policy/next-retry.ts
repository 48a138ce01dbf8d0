import type { RetryPolicy } from "@hookyard/core";

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "exhausted"; readonly reason: string };

/**
 * The retry schedule (semantics item 6). `attempt` is the number of the attempt that just failed (1 for the
 * first). `scheduleMs[0]` is the first attempt itself, so after attempt n the wait is `scheduleMs[n]` plus up
 * to `jitter * scheduleMs[n]`, or the outcome's `delayMs` (Retry-After, throttling; capped to
 * `maxRetryAfterMs`) when that is longer. `random` returns [0, 1), like Math.random.
 */
export function nextRetry(
  policy: RetryPolicy,
  attempt: number,
  outcome: { readonly delayMs?: number },
  random: () => number,
): RetryDecision {
  const base = policy.scheduleMs[attempt];
  if (base === undefined || attempt < 1) {
    return { kind: "exhausted", reason: `retries exhausted after ${attempt} attempts` };
  }
  const jittered = base + Math.floor(random() * policy.jitter * base);
  const asked = outcome.delayMs === undefined ? 0 : Math.min(Math.max(0, outcome.delayMs), policy.maxRetryAfterMs);
  return { kind: "retry", delayMs: Math.max(jittered, asked) };
}
