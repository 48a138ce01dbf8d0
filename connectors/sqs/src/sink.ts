import { createHash } from "node:crypto";
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from "@aws-sdk/client-sqs";
import {
  type Context,
  type Envelope,
  type FailedSinkItem,
  failedSinkItem,
  HookyardError,
  type Sink,
  sinkPartialFailure,
} from "@hookyard/core";
import { attributesSize, envelopeAttributes } from "./attributes.js";
import { encodeBody } from "./body-codec.js";
import { createSqsClient } from "./client.js";
import type { SqsSinkConfig } from "./config.js";
import { translateSqsError } from "./errors.js";
import { type QueueInfo, resolveQueue } from "./queue.js";

export interface SqsSinkOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and destroys it. */
  readonly client?: SQSClient;
}

/** SQS's limits for one SendMessageBatch call. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** FIFO group and deduplication ids: up to 128 characters of letters, digits and punctuation. */
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;

interface Prepared {
  readonly index: number;
  readonly entry: SendMessageBatchRequestEntry;
  readonly size: number;
}

/**
 * An SQS sink: envelopes go out in SendMessageBatch calls of at most 10 entries and 256 KiB, the payload as the
 * body (utf8 or base64, see bodyEncoding), CloudEvents binary-mode attributes plus the envelope's headers. On a
 * FIFO queue the MessageGroupId is the envelope's key (defaultGroupId without one) and the deduplication id its
 * id; batches for a FIFO queue are sent one after the other so a group keeps its order. `send` resolves only when
 * SQS accepted every entry; `Failed` entries are named in a SINK_PARTIAL_FAILURE.
 */
export function createSqsSink(config: SqsSinkConfig, ctx: Context, options: SqsSinkOptions = {}): Sink {
  const log = ctx.logger;
  let client: SQSClient | undefined;
  let queue: Promise<QueueInfo> | undefined;
  let stopping: Promise<void> | undefined;

  const open = (): Promise<QueueInfo> => {
    client ??= options.client ?? createSqsClient(config);
    queue ??= resolveQueue(client, config).catch((error: unknown) => {
      queue = undefined; // look again at the next send
      throw error;
    });
    return queue;
  };

  const prepare = (envelope: Envelope, index: number, info: QueueInfo): Prepared => {
    const body = encodeBody(envelope.data, config.bodyEncoding);
    const attributes = envelopeAttributes(envelope);
    const size = Buffer.byteLength(body) + attributesSize(attributes);
    if (size > config.maxMessageBytes) {
      throw new HookyardError(
        "MESSAGE_TOO_LARGE",
        `sqs message of ${size} bytes (body and attributes) exceeds maxMessageBytes (${config.maxMessageBytes})`,
      );
    }
    const entry: SendMessageBatchRequestEntry = {
      Id: String(index),
      MessageBody: body,
      MessageAttributes: attributes,
      ...(info.fifo
        ? {
            MessageGroupId: fifoId(envelope.key ?? config.defaultGroupId),
            MessageDeduplicationId: fifoId(envelope.id),
          }
        : {}),
    };
    return { index, entry, size };
  };

  const sendChunk = async (
    info: QueueInfo,
    chunk: readonly Prepared[],
    batch: readonly Envelope[],
  ): Promise<FailedSinkItem[]> => {
    const failures: FailedSinkItem[] = [];
    try {
      const response = await (client as SQSClient).send(
        new SendMessageBatchCommand({ QueueUrl: info.url, Entries: chunk.map((item) => item.entry) }),
      );
      for (const failed of response.Failed ?? []) {
        const index = Number(failed.Id);
        failures.push({
          index,
          id: batch[index]?.id ?? "",
          code: failed.Code ?? "SQS_FAILED",
          message: failed.Message ?? "sqs did not accept the message",
          retryable: failed.SenderFault !== true,
        });
      }
    } catch (error) {
      const translated = translateSqsError(error, `queue ${info.url}`);
      for (const item of chunk) {
        failures.push(failedSinkItem(item.index, batch[item.index]?.id ?? "", translated));
      }
    }
    return failures;
  };

  return {
    async send(batch) {
      if (stopping !== undefined) throw new HookyardError("SINK_STOPPED", "sqs sink is stopped");
      if (batch.length === 0) return;
      const info = await open();
      const failures: FailedSinkItem[] = [];
      const prepared: Prepared[] = [];
      batch.forEach((envelope, index) => {
        try {
          prepared.push(prepare(envelope, index, info));
        } catch (error) {
          const translated = translateSqsError(error, `queue ${info.url}`);
          failures.push(failedSinkItem(index, envelope.id, translated));
        }
      });
      const chunks = chunkEntries(prepared);
      if (info.fifo) {
        for (const chunk of chunks) failures.push(...(await sendChunk(info, chunk, batch)));
      } else {
        for (const result of await Promise.all(chunks.map((chunk) => sendChunk(info, chunk, batch))))
          failures.push(...result);
      }
      if (failures.length > 0) {
        failures.sort((a, b) => a.index - b.index);
        log.warn({ failed: failures.length, total: batch.length, queue: info.url }, "sqs send failed");
        throw sinkPartialFailure(`sqs queue ${info.url}`, batch.length, failures);
      }
    },

    stop() {
      stopping ??= (async () => {
        if (client !== undefined && options.client === undefined) client.destroy();
        client = undefined;
      })();
      return stopping;
    },
  };
}

/** Consecutive chunks of at most 10 entries and 256 KiB, in batch order. */
function chunkEntries(prepared: readonly Prepared[]): Prepared[][] {
  const chunks: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const item of prepared) {
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + item.size > MAX_BATCH_BYTES)) {
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

/** A FIFO group/deduplication id: the value itself when SQS allows it, else a stable hash of it. */
function fifoId(value: string): string {
  return FIFO_ID.test(value) ? value : `sha256-${createHash("sha256").update(value).digest("hex")}`;
}
