import type { Clock } from "../clock.js";
import type { SchedulerLogger } from "../logger.js";
import type { CompletionResult, SchedulerStore } from "../store.js";
import { backoffDelay, sleep } from "./backoff.js";

export interface CompletionBatcherOptions {
  readonly store: SchedulerStore;
  readonly workerId: string;
  readonly clock: Clock;
  readonly logger: SchedulerLogger | undefined;
  /** Longest a result waits for company before it is flushed (real ms). */
  readonly lingerMs: number;
  /** Most results per `complete` call; reaching it flushes at once. */
  readonly maxBatch: number;
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
  readonly random: () => number;
  /** Read when a `complete` is sent, and handed to `onFlushed` once it is stored (e.g. the caller's claim count). */
  readonly mark?: () => number;
  readonly onFlushed: (markWhenSent: number) => void;
  readonly onError: (error: unknown) => void;
  /** Results the store refused as stale (lease lost or fenced off): not applied. */
  readonly onStale: (results: readonly CompletionResult[]) => void;
}

export interface CompletionBatcher {
  add(result: CompletionResult): void;
  /** Results waiting for the linger. */
  readonly pending: number;
  /** Flushes now instead of after the linger (in the same turn of the event loop: see write-coalescer.ts). */
  kick(): void;
  /** Flushes everything pending; resolves once the store has it (retrying store errors). */
  flush(): Promise<void>;
  /** Final flush at shutdown: gives up after `timeoutMs` (leases then expire and the work comes back). */
  close(timeoutMs: number): Promise<number>;
}

/**
 * Group commit for results: one `complete` call in flight at a time carries everything that settled meanwhile,
 * so a busy worker makes one round trip per batch, not per delivery. Results survive store errors (kept and
 * retried with backoff) until `close` gives up.
 */
export function createCompletionBatcher(options: CompletionBatcherOptions): CompletionBatcher {
  const { store, workerId, clock, logger } = options;
  const pending: CompletionResult[] = [];
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failures = 0;

  async function drain(): Promise<void> {
    while (pending.length > 0 && !stop.signal.aborted) {
      const batch = pending.splice(0, options.maxBatch);
      const mark = options.mark?.() ?? 0;
      try {
        const report = await store.complete(workerId, batch, clock.now());
        failures = 0;
        if (report.stale.length > 0) {
          const stale = new Set(report.stale);
          options.onStale(batch.filter((result) => stale.has(result.deliveryId)));
        }
        options.onFlushed(mark);
      } catch (error) {
        pending.unshift(...batch);
        failures += 1;
        const retryInMs = backoffDelay(failures, options.backoff.minMs, options.backoff.maxMs, options.random);
        logger?.warn({ err: error, pending: pending.length, retryInMs }, "scheduler complete failed");
        options.onError(error);
        await sleep(retryInMs, stop.signal);
      }
    }
  }

  function start(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    running ??= drain().finally(() => {
      running = undefined;
      // Results that arrived during the last call go out now.
      if (pending.length > 0 && !stop.signal.aborted) void start();
    });
    return running;
  }

  async function flush(): Promise<void> {
    while (pending.length > 0 && !stop.signal.aborted) await start();
    await running;
  }

  return {
    get pending() {
      return pending.length;
    },
    add(result) {
      pending.push(result);
      if (pending.length >= options.maxBatch) void start();
      else if (timer === undefined && running === undefined) {
        timer = setTimeout(() => void start(), options.lingerMs);
      }
    },
    kick() {
      if (pending.length > 0) void start();
    },
    flush,
    async close(timeoutMs) {
      let deadline: NodeJS.Timeout | undefined;
      const givenUp = new Promise<void>((resolve) => {
        deadline = setTimeout(() => {
          stop.abort();
          resolve();
        }, timeoutMs);
      });
      // A store call that hangs (Redis unreachable) must not hold shutdown past the deadline.
      await Promise.race([flush(), givenUp]);
      clearTimeout(deadline);
      stop.abort();
      if (timer !== undefined) clearTimeout(timer);
      if (pending.length > 0) {
        logger?.error({ dropped: pending.length }, "scheduler results not stored at shutdown");
      }
      return pending.length;
    },
  };
}
