const UNIX_SECONDS = /^[0-9]{1,12}$/;

/**
 * Parses a signed Unix-seconds timestamp and checks it is within `toleranceMs` of `now` in both directions: a
 * stale one is a replay, a future one a pre-computed forgery or a broken clock. Returns a reason when rejected.
 */
export function checkTimestamp(text: string | undefined, now: number, toleranceMs: number): string | undefined {
  if (text === undefined || text.length === 0) return "missing timestamp";
  if (!UNIX_SECONDS.test(text)) return "malformed timestamp";
  const skew = Number(text) * 1000 - now;
  if (skew < -toleranceMs) return "timestamp too old";
  if (skew > toleranceMs) return "timestamp in the future";
  return undefined;
}
