import {
  type AttemptRecord,
  type DeliveryOutcome,
  type Envelope,
  HookyardError,
  isRetryable,
  type Sink,
} from "@hookyard/core";

/**
 * Publishes queued ingress events onto sinks. The scheduler hands over one delivery at a time (with its retries,
 * breaker and dead-letter set); deliveries to the same sink that arrive together are sent as one broker batch.
 */
export interface SinkDispatcher {
  send(sinkId: string, envelope: Envelope): Promise<DeliveryOutcome>;
}

interface Pending {
  readonly envelope: Envelope;
  readonly startedAt: number;
  resolve(outcome: DeliveryOutcome): void;
}

const MAX_BATCH = 100;

export function createSinkDispatcher(sinks: ReadonlyMap<string, Sink>): SinkDispatcher {
  const queues = new Map<string, Pending[]>();

  async function flush(sinkId: string, sink: Sink): Promise<void> {
    const batch = queues.get(sinkId) ?? [];
    queues.delete(sinkId);
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      const chunk = batch.slice(start, start + MAX_BATCH);
      try {
        await sink.send(chunk.map((item) => item.envelope));
        for (const item of chunk) item.resolve({ kind: "delivered", attempt: attempt(item) });
      } catch (error) {
        const failedIndexes = failedItems(error);
        for (const [index, item] of chunk.entries()) {
          if (failedIndexes && !failedIndexes.has(index)) {
            item.resolve({ kind: "delivered", attempt: attempt(item) });
            continue;
          }
          const failure = failedIndexes?.get(index) ?? describe(error);
          const record = attempt(item, failure.message);
          item.resolve(failure.retryable ? { kind: "retry", attempt: record } : { kind: "rejected", attempt: record });
        }
      }
    }
  }

  return {
    send(sinkId, envelope) {
      const sink = sinks.get(sinkId);
      if (!sink) throw new HookyardError("SINK_UNKNOWN", `no sink ${JSON.stringify(sinkId)} is running`);
      return new Promise<DeliveryOutcome>((resolve) => {
        let queue = queues.get(sinkId);
        if (!queue) {
          queue = [];
          queues.set(sinkId, queue);
          // Everything handed over in this turn of the event loop goes out as one batch.
          setImmediate(() => void flush(sinkId, sink));
        }
        queue.push({ envelope, startedAt: Date.now(), resolve });
      });
    },
  };
}

function attempt(item: Pending, errorMessage?: string): AttemptRecord {
  return {
    startedAt: new Date(item.startedAt).toISOString(),
    durationMs: Date.now() - item.startedAt,
    ...(errorMessage === undefined ? {} : { errorClass: "network" as const, errorMessage }),
  };
}

function describe(error: unknown): { message: string; retryable: boolean } {
  return { message: error instanceof Error ? error.message : String(error), retryable: isRetryable(error) };
}

/** For SINK_PARTIAL_FAILURE: the failed items by batch index; undefined when the whole batch failed. */
function failedItems(error: unknown): Map<number, { message: string; retryable: boolean }> | undefined {
  if (!(error instanceof HookyardError) || error.code !== "SINK_PARTIAL_FAILURE") return undefined;
  const failed = error.details.failed;
  if (!Array.isArray(failed)) return undefined;
  const byIndex = new Map<number, { message: string; retryable: boolean }>();
  for (const item of failed as { index?: unknown; message?: unknown; retryable?: unknown }[]) {
    if (typeof item.index !== "number") continue;
    byIndex.set(item.index, {
      message: typeof item.message === "string" ? item.message : "publish failed",
      retryable: item.retryable === undefined ? error.retryable : item.retryable === true,
    });
  }
  return byIndex;
}
