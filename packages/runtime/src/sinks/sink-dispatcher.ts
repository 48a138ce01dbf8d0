import {
  type AttemptRecord,
  type DeliveryOutcome,
  type Envelope,
  HookyardError,
  isRetryable,
  type Sink,
} from "@hookyard/core";
import type { Tracer } from "@opentelemetry/api";
import { tracePublish } from "./sink-trace.js";

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

/** Why one event was not published. */
interface Failure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Events handed to one `send` at most; the sink splits them further under its own limits. */
const MAX_BATCH = 100;
/**
 * Verdicts an event earns on its own, whatever its neighbours: too large for the sink, or a sink whose config is
 * wrong. Any other permanent failure inside a batch is checked by sending the event alone once.
 */
const OWN_VERDICTS: ReadonlySet<string> = new Set(["MESSAGE_TOO_LARGE", "CONFIG_INVALID"]);

/** `tracer`: with tracing on, each publish is a PRODUCER span whose traceparent the message carries. */
export function createSinkDispatcher(sinks: ReadonlyMap<string, Sink>, tracer?: Tracer): SinkDispatcher {
  const queues = new Map<string, Pending[]>();

  async function flush(sinkId: string, sink: Sink): Promise<void> {
    const batch = queues.get(sinkId) ?? [];
    queues.delete(sinkId);
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      await sendChunk(sink, batch.slice(start, start + MAX_BATCH));
    }
  }

  /**
   * Sends a chunk and settles each of its deliveries. An event is never punished for its neighbours: one that
   * failed for good in a batch (except for its own size or the sink's config) is sent once more alone, and that
   * verdict is the one kept. Conforming sinks already do this (publishInBatches); this covers the others.
   */
  async function sendChunk(sink: Sink, chunk: readonly Pending[]): Promise<void> {
    const failures = await attemptSend(sink, chunk);
    if (chunk.length > 1) {
      const doubtful = [...failures].filter(([, failure]) => !failure.retryable && !OWN_VERDICTS.has(failure.code));
      await Promise.all(
        doubtful.map(async ([index]) => {
          const item = chunk[index] as Pending;
          const alone = (await attemptSend(sink, [item])).get(0);
          if (alone === undefined) failures.delete(index);
          else failures.set(index, alone);
        }),
      );
    }
    for (const [index, item] of chunk.entries()) {
      const failure = failures.get(index);
      if (failure === undefined) {
        item.resolve({ kind: "delivered", attempt: attempt(item) });
        continue;
      }
      const record = attempt(item, failure.message);
      item.resolve(failure.retryable ? { kind: "retry", attempt: record } : { kind: "rejected", attempt: record });
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
        const { envelope: sent, end } = tracePublish(sinkId, envelope, tracer);
        const settle =
          end === undefined
            ? resolve
            : (outcome: DeliveryOutcome) => {
                end(outcome);
                resolve(outcome);
              };
        queue.push({ envelope: sent, startedAt: Date.now(), resolve: settle });
      });
    },
  };
}

/** The failures of one `send`, by position in `items` (empty: all published). */
async function attemptSend(sink: Sink, items: readonly Pending[]): Promise<Map<number, Failure>> {
  try {
    await sink.send(items.map((item) => item.envelope));
    return new Map();
  } catch (error) {
    const named = failedItems(error);
    if (named !== undefined) return named;
    const failure = describe(error);
    return new Map(items.map((_, index) => [index, failure]));
  }
}

function attempt(item: Pending, errorMessage?: string): AttemptRecord {
  return {
    startedAt: new Date(item.startedAt).toISOString(),
    durationMs: Date.now() - item.startedAt,
    ...(errorMessage === undefined ? {} : { errorClass: "network" as const, errorMessage }),
  };
}

function describe(error: unknown): Failure {
  return {
    code: error instanceof HookyardError ? error.code : "SINK_FAILED",
    message: error instanceof Error ? error.message : String(error),
    retryable: isRetryable(error),
  };
}

/** For SINK_PARTIAL_FAILURE: the failed items by batch index; undefined when the whole batch failed. */
function failedItems(error: unknown): Map<number, Failure> | undefined {
  if (!(error instanceof HookyardError) || error.code !== "SINK_PARTIAL_FAILURE") return undefined;
  const failed = error.details.failed;
  if (!Array.isArray(failed)) return undefined;
  const byIndex = new Map<number, Failure>();
  for (const item of failed as { index?: unknown; code?: unknown; message?: unknown; retryable?: unknown }[]) {
    if (typeof item.index !== "number") continue;
    byIndex.set(item.index, {
      code: typeof item.code === "string" ? item.code : "SINK_FAILED",
      message: typeof item.message === "string" ? item.message : "publish failed",
      retryable: item.retryable === undefined ? error.retryable : item.retryable === true,
    });
  }
  return byIndex;
}
