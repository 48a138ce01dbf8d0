/**
 * Coalesces concurrent calls into batches: calls made while the previous batches are still running (or in the
 * same tick) are sent together in the next one. A lone call goes out at once (after the current microtasks), so
 * batching adds no latency; under load it turns N round trips into N / batch size.
 */
export interface CallBatcherOptions<Request, Result> {
  /** Runs one batch; resolves to one result per request, in order (an Error rejects only that call). */
  readonly run: (requests: readonly Request[]) => Promise<readonly (Result | Error)[]>;
  /** Most requests in one batch. */
  readonly maxBatch: number;
  /** Most request weight (e.g. bytes) in one batch; a single heavier request still goes, alone. */
  readonly maxWeight: number;
  readonly weigh: (request: Request) => number;
  /** Batches running at once. */
  readonly maxInFlight: number;
}

interface Pending<Request, Result> {
  readonly request: Request;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

export type CallBatcher<Request, Result> = (request: Request) => Promise<Result>;

export function createCallBatcher<Request, Result>(
  options: CallBatcherOptions<Request, Result>,
): CallBatcher<Request, Result> {
  const pending: Pending<Request, Result>[] = [];
  let inFlight = 0;
  let flushQueued = false;

  function takeBatch(): Pending<Request, Result>[] {
    let weight = 0;
    let count = 0;
    while (count < pending.length && count < options.maxBatch) {
      const next = options.weigh((pending[count] as Pending<Request, Result>).request);
      if (count > 0 && weight + next > options.maxWeight) break;
      weight += next;
      count += 1;
    }
    return pending.splice(0, count);
  }

  function flush(): void {
    flushQueued = false;
    while (inFlight < options.maxInFlight && pending.length > 0) {
      const batch = takeBatch();
      inFlight += 1;
      void send(batch);
    }
  }

  async function send(batch: Pending<Request, Result>[]): Promise<void> {
    try {
      const results = await options.run(batch.map((entry) => entry.request));
      batch.forEach((entry, index) => {
        const result = results[index];
        if (result instanceof Error) entry.reject(result);
        else if (index < results.length) entry.resolve(result as Result);
        else entry.reject(new Error("batch returned fewer results than requests"));
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      inFlight -= 1;
      flush();
    }
  }

  return (request) =>
    new Promise<Result>((resolve, reject) => {
      pending.push({ request, resolve, reject });
      if (!flushQueued && inFlight < options.maxInFlight) {
        flushQueued = true;
        // Same-tick callers (a broker batch handed over synchronously) join before the batch leaves.
        queueMicrotask(flush);
      }
    });
}
