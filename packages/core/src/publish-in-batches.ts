import type { Envelope } from "./envelope.js";
import type { HookyardError } from "./errors.js";
import { type FailedSinkItem, failedSinkItem, messageTooLarge } from "./sink-failure.js";
import type { SinkLimits } from "./sink-limits.js";

/** One event of a `send` batch, with its position in that batch and its size as the sink counts it. */
export interface BatchItem {
  readonly index: number;
  readonly envelope: Envelope;
  readonly size: number;
}

export interface PublishInBatchesOptions {
  /** Names the sink and destination in failure messages, e.g. "sqs queue https://…". */
  readonly where: string;
  readonly limits: SinkLimits;
  /** How the per-event limit is called in messages; default "maxMessageBytes". */
  readonly limitName?: string;
  /**
   * Publishes one broker request. Resolves with the items the broker refused one by one (SQS `Failed` entries,
   * per-record errors), empty when it confirmed all; rejects when the request failed as a whole.
   */
  publish(items: readonly BatchItem[]): Promise<readonly FailedSinkItem[]>;
  /** Whether a whole-request failure says the request was too large. */
  isTooLarge(error: unknown): boolean;
  /** Hookyard's error for a whole-request failure (its `retryable` decides what the runtime does). */
  translate(error: unknown): HookyardError;
  /** One request at a time, in batch order (FIFO queues, per-key order); default: every request at once. */
  readonly sequential?: boolean;
  /** Called when a request is split after a whole-request failure (for the sink's debug log). */
  readonly onSplit?: (info: { readonly count: number; readonly bytes: number; readonly error: HookyardError }) => void;
}

/** `batch` as items: positions and sizes. */
export function batchItems(batch: readonly Envelope[], sizeOf: (envelope: Envelope) => number): BatchItem[] {
  return batch.map((envelope, index) => ({ index, envelope, size: sizeOf(envelope) }));
}

/**
 * Publishes `items` in requests under the limits and returns the failed items (empty: all confirmed), so that no
 * event is punished for its neighbours:
 * - an event that alone is over `maxMessageBytes` fails MESSAGE_TOO_LARGE (permanent) and is never sent;
 * - the rest go in requests of at most `maxBatchMessages` events and `maxBatchBytes` bytes, in order;
 * - a request the broker refuses as a whole for its size, or with a non-retryable error, is split in halves and
 *   each half sent again, down to single events: only an event refused on its own fails permanently (one refused
 *   for its size names its size and the limit);
 * - a request failing as a whole with a retryable error (broker down, timeout) fails each of its events retryably:
 *   the runtime sends them again, nothing becomes permanent.
 * A non-retryable CONFIG_INVALID failure (credentials, permissions) is about the sink, not an event: not split.
 */
export async function publishInBatches(
  items: readonly BatchItem[],
  options: PublishInBatchesOptions,
): Promise<FailedSinkItem[]> {
  const { limits } = options;
  const limitName = options.limitName ?? "maxMessageBytes";
  const failures: FailedSinkItem[] = [];
  const sendable: BatchItem[] = [];
  for (const item of items) {
    if (item.size > limits.maxMessageBytes) {
      const error = messageTooLarge(
        options.where,
        { id: item.envelope.id, size: item.size },
        { bytes: limits.maxMessageBytes, name: limitName },
      );
      failures.push(failedSinkItem(item.index, item.envelope.id, error));
    } else sendable.push(item);
  }

  const publishRequest = async (request: readonly BatchItem[]): Promise<void> => {
    let refused: readonly FailedSinkItem[];
    try {
      refused = await options.publish(request);
    } catch (raw) {
      const error = options.translate(raw);
      const tooLarge = options.isTooLarge(raw);
      const splittable = tooLarge || (!error.retryable && error.code !== "CONFIG_INVALID");
      if (splittable && request.length > 1) {
        options.onSplit?.({ count: request.length, bytes: bytesOf(request), error });
        const [first, second] = halves(request);
        await runAll([first, second], publishRequest, options.sequential === true);
        return;
      }
      for (const item of request) {
        const failure =
          tooLarge && request.length === 1
            ? messageTooLarge(
                options.where,
                { id: item.envelope.id, size: item.size },
                { bytes: limits.maxMessageBytes, name: limitName },
                error.message,
              )
            : error;
        failures.push(failedSinkItem(item.index, item.envelope.id, failure));
      }
      return;
    }
    failures.push(...refused);
  };

  await runAll(chunksOf(sendable, limits), publishRequest, options.sequential === true);
  return failures.sort((a, b) => a.index - b.index);
}

/** Consecutive requests of at most `maxBatchMessages` events and `maxBatchBytes` bytes, in order. */
export function chunksOf(items: readonly BatchItem[], limits: SinkLimits): BatchItem[][] {
  const chunks: BatchItem[][] = [];
  let current: BatchItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const full = current.length >= limits.maxBatchMessages || bytes + item.size > limits.maxBatchBytes;
    if (current.length > 0 && full) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Two non-empty halves of equal bytes (as near as the items allow); `items` has at least two. */
function halves(items: readonly BatchItem[]): [BatchItem[], BatchItem[]] {
  const total = bytesOf(items);
  let cut = 1;
  let bytes = items[0]?.size ?? 0;
  while (cut < items.length - 1 && bytes + (items[cut]?.size ?? 0) <= total / 2) {
    bytes += items[cut]?.size ?? 0;
    cut += 1;
  }
  return [items.slice(0, cut), items.slice(cut)];
}

function bytesOf(items: readonly BatchItem[]): number {
  let bytes = 0;
  for (const item of items) bytes += item.size;
  return bytes;
}

async function runAll<T>(inputs: readonly T[], run: (input: T) => Promise<void>, sequential: boolean): Promise<void> {
  if (sequential) {
    for (const input of inputs) await run(input);
    return;
  }
  await Promise.all(inputs.map(run));
}
