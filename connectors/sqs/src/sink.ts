import { createHash } from "node:crypto";
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  type BatchItem,
  batchItems,
  type Context,
  type Envelope,
  type FailedSinkItem,
  failedSinkItem,
  HookyardError,
  messageTooLarge,
  publishInBatches,
  type Sink,
  type SinkLimits,
  sinkPartialFailure,
} from "@hookyard/core";
import { attributesSize, envelopeAttributes } from "./attributes.js";
import { encodeBody } from "./body-codec.js";
import { createSqsClient } from "./client.js";
import type { SqsSinkConfig } from "./config.js";
import { errorName, translateSqsError } from "./errors.js";
import { type QueueInfo, resolveQueue } from "./queue.js";

export interface SqsSinkOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and destroys it. */
  readonly client?: SQSClient;
}

/** SQS's hard limit of entries per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
/** SQS's message (and batch) limit before queues could say more, and what a queue that does not say gets. */
const DEFAULT_MAX_BYTES = 256 * 1024;
/** FIFO group and deduplication ids: up to 128 characters of letters, digits and punctuation. */
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * An SQS sink: envelopes go out in SendMessageBatch calls of at most 10 entries and `maxBatchBytes`, the payload as
 * the body (utf8 or base64, see bodyEncoding), CloudEvents binary-mode attributes plus the envelope's headers. The
 * message limit is the queue's MaximumMessageSize (read with its other attributes), else `maxMessageBytes`, else
 * 256 KiB; a batch SQS refuses as too long is split and sent again, and only a message too long on its own fails
 * for good, naming its size and the limit. On a FIFO queue the MessageGroupId is the envelope's key (defaultGroupId
 * without one) and the deduplication id its id; batches for a FIFO queue are sent one after the other so a group
 * keeps its order. `send` resolves only when SQS accepted every entry; the others are named in a
 * SINK_PARTIAL_FAILURE.
 */
export function createSqsSink(config: SqsSinkConfig, ctx: Context, options: SqsSinkOptions = {}): Sink {
  const log = ctx.logger;
  let client: SQSClient | undefined;
  let queue: Promise<QueueInfo> | undefined;
  let known: QueueInfo | undefined;
  let stopping: Promise<void> | undefined;

  const open = (): Promise<QueueInfo> => {
    client ??= options.client ?? createSqsClient(config);
    queue ??= resolveQueue(client, config).then(
      (info) => {
        known = info;
        return info;
      },
      (error: unknown) => {
        queue = undefined; // look again at the next send
        throw error;
      },
    );
    return queue;
  };

  const limits = (): SinkLimits => sqsLimits(config, known?.maxMessageBytes).limits;
  const sizeOf = (envelope: Envelope) => sqsSizeOf(envelope, config);

  return {
    async send(batch) {
      if (stopping !== undefined) throw new HookyardError("SINK_STOPPED", "sqs sink is stopped");
      if (batch.length === 0) return;
      const info = await open();
      const failures: FailedSinkItem[] = [];
      const entries = new Map<number, SendMessageBatchRequestEntry>();
      const items: BatchItem[] = [];
      for (const item of batchItems(batch, sizeOf)) {
        try {
          entries.set(item.index, entryOf(item.envelope, item.index, info, config));
          items.push(item);
        } catch (error) {
          failures.push(failedSinkItem(item.index, item.envelope.id, translateSqsError(error, `queue ${info.url}`)));
        }
      }
      const { limits: now, limitName } = sqsLimits(config, info.maxMessageBytes);
      const limit = { bytes: now.maxMessageBytes, name: limitName };
      failures.push(
        ...(await publishInBatches(items, {
          where: where(info),
          limits: now,
          limitName,
          publish: async (request) => {
            const sending = new SendMessageBatchCommand({
              QueueUrl: info.url,
              Entries: request.map((item) => entries.get(item.index) as SendMessageBatchRequestEntry),
            });
            const response = await (client as SQSClient).send(sending);
            return refusedEntries(response.Failed ?? [], request, where(info), limit);
          },
          isTooLarge: (error) => isTooLong(errorName(error), error instanceof Error ? error.message : String(error)),
          translate: (error) => translateSqsError(error, `queue ${info.url}`),
          sequential: info.fifo,
          onSplit: ({ count, bytes, error }) =>
            log.debug({ count, bytes, queue: info.url, reason: error.message }, "sqs batch refused; split"),
        })),
      );
      if (failures.length > 0) {
        failures.sort((a, b) => a.index - b.index);
        log.warn({ failed: failures.length, total: batch.length, queue: info.url }, "sqs send failed");
        throw sinkPartialFailure(`sqs queue ${info.url}`, batch.length, failures);
      }
    },

    limits,
    sizeOf,

    stop() {
      stopping ??= (async () => {
        if (client !== undefined && options.client === undefined) client.destroy();
        client = undefined;
      })();
      return stopping;
    },
  };
}

/**
 * The message limit is the queue's MaximumMessageSize when it says one (or maxMessageBytes when lower), else
 * maxMessageBytes, else 256 KiB; a batch carries at most 10 entries and maxBatchBytes (default: the message limit).
 */
function sqsLimits(config: SqsSinkConfig, queueMax: number | undefined): { limits: SinkLimits; limitName: string } {
  const queueWins = queueMax !== undefined && (config.maxMessageBytes === null || queueMax < config.maxMessageBytes);
  const maxMessageBytes = queueWins ? queueMax : (config.maxMessageBytes ?? DEFAULT_MAX_BYTES);
  return {
    limits: {
      maxMessageBytes,
      maxBatchMessages: MAX_BATCH_ENTRIES,
      maxBatchBytes: config.maxBatchBytes ?? maxMessageBytes,
    },
    limitName: queueWins ? "queue's MaximumMessageSize" : "maxMessageBytes",
  };
}

/** What SQS counts against its limit: the body after encoding plus the attributes' names, types and values. */
function sqsSizeOf(envelope: Envelope, config: SqsSinkConfig): number {
  const bytes = envelope.data.byteLength;
  const body = config.bodyEncoding === "base64" ? 4 * Math.ceil(bytes / 3) : bytes;
  return body + attributesSize(envelopeAttributes(envelope));
}

function entryOf(
  envelope: Envelope,
  index: number,
  info: QueueInfo,
  config: SqsSinkConfig,
): SendMessageBatchRequestEntry {
  return {
    Id: String(index),
    MessageBody: encodeBody(envelope.data, config.bodyEncoding),
    MessageAttributes: envelopeAttributes(envelope),
    ...(info.fifo
      ? {
          MessageGroupId: fifoId(envelope.key ?? config.defaultGroupId),
          MessageDeduplicationId: fifoId(envelope.id),
        }
      : {}),
  };
}

/** The entries SQS listed as Failed, as failed items: one too long is MESSAGE_TOO_LARGE naming its size. */
function refusedEntries(
  refused: readonly BatchResultErrorEntry[],
  request: readonly BatchItem[],
  where: string,
  limit: { readonly bytes: number; readonly name: string },
): FailedSinkItem[] {
  return refused.map((failed) => {
    const index = Number(failed.Id);
    const item = request.find((candidate) => candidate.index === index);
    const message = failed.Message ?? "sqs did not accept the message";
    if (item !== undefined && isTooLong(failed.Code ?? "", message)) {
      const error = messageTooLarge(where, { id: item.envelope.id, size: item.size }, limit, message);
      return failedSinkItem(index, item.envelope.id, error);
    }
    return {
      index,
      id: item?.envelope.id ?? "",
      code: failed.Code ?? "SQS_FAILED",
      message,
      retryable: failed.SenderFault !== true,
    };
  });
}

function where(info: QueueInfo): string {
  return `sqs queue ${info.url}`;
}

/**
 * SQS's refusals for size: BatchRequestTooLong (the batch), InvalidParameterValue "Message must be shorter than
 * 262144 bytes" (AWS), InvalidAttributeValue "MessageTooLong" (ElasticMQ, which refuses the whole batch for one).
 */
function isTooLong(code: string, message: string): boolean {
  return (
    /BatchRequestTooLong|MessageTooLong/i.test(code) || /MessageTooLong|must be shorter than|too long/i.test(message)
  );
}

/** A FIFO group/deduplication id: the value itself when SQS allows it, else a stable hash of it. */
function fifoId(value: string): string {
  return FIFO_ID.test(value) ? value : `sha256-${createHash("sha256").update(value).digest("hex")}`;
}
