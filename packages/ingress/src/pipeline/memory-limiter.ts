import type { RateDecision, RateLimiter } from "./collaborators.js";

/** An in-process token-bucket `RateLimiter` for tests and the embedded mode (per instance, not shared). */
export function createMemoryLimiter(options: { readonly now?: () => number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async take(key: string, ratePerSecond: number, burst: number): Promise<RateDecision> {
      const time = now();
      const capacity = Math.max(1, burst);
      const bucket = buckets.get(key) ?? { tokens: capacity, at: time };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((time - bucket.at) / 1000) * ratePerSecond);
      bucket.at = time;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true, retryAfterMs: 0 };
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000) };
    },
  };
}
