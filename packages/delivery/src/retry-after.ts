/**
 * Parses a `Retry-After` value (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Only date-shaped text: Date.parse would also accept bare numbers with signs or fractions.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Bounds a wait to [min, max]; `max` wins when the policy sets min above max. */
export function clampDelay(delayMs: number, minMs: number, maxMs: number): number {
  return Math.min(Math.max(delayMs, minMs), maxMs);
}
