/** Capped exponential backoff with jitter (half to full delay), for store errors (e.g. Redis down). */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number): number {
  const capped = Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
  return Math.round(capped * (0.5 + random() * 0.5));
}

/** A real-time sleep that ends early when `signal` aborts (shutdown). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
