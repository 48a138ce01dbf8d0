import { HookyardError } from "@hookyard/core";

/**
 * How long one request may wait on the shared store (Redis: rate limit, de-duplication, enqueue) in all. Each
 * call runs `within` the time left; once it is spent the call rejects with STORE_TIMEOUT (retryable), so a request
 * is answered 503 with Retry-After within the budget instead of holding the provider's connection while Redis
 * hangs. A write that still lands afterwards is harmless: the provider's retry is de-duplicated.
 */
export interface StoreBudget {
  within<T>(call: Promise<T>): Promise<T>;
}

export function createStoreBudget(budgetMs: number): StoreBudget {
  let spentMs = 0;
  return {
    async within(call) {
      const leftMs = budgetMs - spentMs;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          call,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new HookyardError("STORE_TIMEOUT", `the store did not answer within ${budgetMs} ms`, {
                    retryable: true,
                  }),
                ),
              Math.max(0, leftMs),
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        spentMs += performance.now() - started;
      }
    },
  };
}
