import type { BreakerPolicy } from "@hookyard/core";
import type { BreakerState } from "../store.js";

/** An endpoint's breaker and failure tracking (semantics items 7 and 8). */
export interface EndpointHealth {
  /** Set while open or half-open (half-open once `now >= openUntil`). */
  openUntil: number | undefined;
  /** Start of the fixed counting window. */
  windowStart: number | undefined;
  successes: number;
  failures: number;
  failingSince: number | undefined;
}

export function createHealth(): EndpointHealth {
  return { openUntil: undefined, windowStart: undefined, successes: 0, failures: 0, failingSince: undefined };
}

export function resetHealth(health: EndpointHealth): void {
  Object.assign(health, createHealth());
}

export function breakerState(health: EndpointHealth, now: number): BreakerState {
  if (health.openUntil === undefined) return "closed";
  return now < health.openUntil ? "open" : "half-open";
}

function rollWindow(health: EndpointHealth, policy: BreakerPolicy, now: number): void {
  if (health.windowStart === undefined || now - health.windowStart >= policy.windowMs) {
    health.windowStart = now;
    health.successes = 0;
    health.failures = 0;
  }
}

/**
 * Counts a successful attempt. `probe`: the attempt was the half-open breaker's probe — only a probe's result
 * moves an open or half-open breaker; results of deliveries leased before it opened (stragglers) change nothing,
 * also once it is half-open (the probe waits for them to settle).
 */
export function recordSuccess(health: EndpointHealth, policy: BreakerPolicy, now: number, probe: boolean): void {
  health.failingSince = undefined;
  if (health.openUntil !== undefined) {
    // The probe succeeded: close with fresh counts. A straggler: no change.
    if (probe && now >= health.openUntil) {
      health.openUntil = undefined;
      health.windowStart = now;
      health.successes = 0;
      health.failures = 0;
    }
    return;
  }
  rollWindow(health, policy, now);
  health.successes += 1;
}

/** Counts a failed attempt; returns the reason to disable the endpoint for, if it has failed for too long. */
export function recordFailure(
  health: EndpointHealth,
  policy: BreakerPolicy,
  now: number,
  probe: boolean,
): string | undefined {
  health.failingSince ??= now;
  if (health.openUntil !== undefined) {
    // The probe failed: open again. A straggler (see recordSuccess): no change.
    if (probe && now >= health.openUntil) health.openUntil = now + policy.cooldownMs;
  } else {
    rollWindow(health, policy, now);
    health.failures += 1;
    const requests = health.successes + health.failures;
    if (requests >= policy.minRequests && health.failures / requests >= policy.failureRate) {
      health.openUntil = now + policy.cooldownMs;
    }
  }
  if (policy.disableAfterMs > 0 && now - health.failingSince >= policy.disableAfterMs) {
    return `failing for more than ${policy.disableAfterMs} ms`;
  }
  return undefined;
}
