/** Exponential backoff with jitter (50–100% of the step), capped at `max`. `attempt` starts at 1. */
export function backoffDelay(attempt: number, initial: number, max: number): number {
  const step = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step * (0.5 + Math.random() * 0.5));
}

/** Waits `ms`; resolves false at once when `signal` aborts (so stop() never waits out a backoff). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Rejects with `error()` after `ms` unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(error()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
