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
  withTimeout,
} from "@hookyard/core";
import type { RecoveringChannelModel } from "amqplib";
import { connectRecovering } from "./client.js";
import type { AmqpSinkConfig } from "./config.js";
import { createConfirmPublisher } from "./confirm-publisher.js";
import { translateAmqpError } from "./errors.js";
import { compileRoutingKeyTemplate } from "./routing-key-template.js";

/**
 * Publishes awaiting their confirms together (one "request"): RabbitMQ has no request size of its own, these bound
 * what one send keeps in flight on the channel.
 */
const PUBLISHES_PER_REQUEST = 128;
const BYTES_PER_REQUEST = 32 * 1024 * 1024;

/** RabbitMQ counts a message's body against max_message_size. */
const sizeOf = (envelope: Envelope): number => envelope.data.byteLength;

/**
 * Messages up to this size are assumed to be within any broker's max_message_size; a larger one than any the
 * broker has confirmed so far goes alone on a channel of its own first (see `createAmqpSink`).
 */
const PROBE_FLOOR_BYTES = 64 * 1024;

/**
 * Publishes envelopes with publisher confirms and `mandatory`: `send` resolves once the broker confirmed every
 * message; failures are reported together as SINK_PARTIAL_FAILURE naming the failed items. The body is the
 * envelope's bytes; CloudEvents binary-mode headers (ce-*) and the envelope's headers are AMQP headers; the AMQP
 * message id is the envelope id, so a Hookyard source reading the queue de-duplicates by it.
 *
 * Size: RabbitMQ refuses a message over its max_message_size by closing the channel, which fails every publish
 * waiting on it (some of which it had already routed: sending those again would duplicate them). So while the
 * broker's limit is unknown, a message larger than any it has confirmed (and than 64 KiB) is a probe: it goes alone,
 * one at a time, on a second channel. Refused, it alone fails (naming its size and the limit, which is learned and
 * checked before publishing from then on); confirmed, its size is known to be fine.
 */
export function createAmqpSink(config: AmqpSinkConfig, ctx: Context): Sink {
  const routingKeyOf = compileRoutingKeyTemplate(config.routingKey, "sink.routingKey");
  const logger = ctx.logger;
  const where = `rabbitmq sink to exchange ${JSON.stringify(config.exchange)}`;
  let model: Promise<RecoveringChannelModel> | undefined;
  let stopped: Promise<void> | undefined;

  function connection(): Promise<RecoveringChannelModel> {
    model ??= connectRecovering(config, logger, "hookyard sink", async () => undefined).catch((error: unknown) => {
      model = undefined;
      throw error;
    });
    return model;
  }
  const main = createConfirmPublisher(connection, config, logger);
  const probes = createConfirmPublisher(connection, config, logger);
  /** Probes go one at a time. */
  let probing: Promise<unknown> = Promise.resolve();

  /** Learned from a refusal ("message size N is larger than configured max size M"): the broker's max_message_size. */
  let brokerMaxMessageBytes: number | undefined;
  /** The largest message the broker has confirmed. */
  let largestConfirmed = 0;
  const limits = (): SinkLimits => ({
    maxMessageBytes: Math.min(config.maxMessageBytes, brokerMaxMessageBytes ?? Number.POSITIVE_INFINITY),
    maxBatchMessages: PUBLISHES_PER_REQUEST,
    maxBatchBytes: BYTES_PER_REQUEST,
  });
  const limitName = () =>
    brokerMaxMessageBytes !== undefined && brokerMaxMessageBytes < config.maxMessageBytes
      ? "broker's max_message_size"
      : "maxMessageBytes";
  const isProbe = (size: number) =>
    brokerMaxMessageBytes === undefined && size > PROBE_FLOOR_BYTES && size > largestConfirmed;

  async function publishItem(item: BatchItem): Promise<void> {
    const routingKey = routingKeyOf(item.envelope);
    if (isProbe(item.size)) {
      const turn = probing.then(async () => {
        // Checked again in turn: an earlier probe may have shown this size is fine, or learned the limit.
        if (brokerMaxMessageBytes !== undefined && item.size > brokerMaxMessageBytes) throw tooLarge(item);
        if (isProbe(item.size)) await probes.publish(routingKey, item.envelope);
        else await main.publish(routingKey, item.envelope);
      });
      probing = turn.catch(() => undefined);
      await turn;
    } else {
      await main.publish(routingKey, item.envelope);
    }
    largestConfirmed = Math.max(largestConfirmed, item.size);
  }

  /** One request: publishes awaiting their confirms together. */
  async function publishRequest(items: readonly BatchItem[]): Promise<FailedSinkItem[]> {
    // async: a routing-key template that throws fails its own event only.
    const results = await Promise.allSettled(items.map(async (item) => publishItem(item)));
    const failures: FailedSinkItem[] = [];
    for (const [i, result] of results.entries()) {
      const item = items[i];
      if (item === undefined || result.status !== "rejected") continue;
      failures.push(failedSinkItem(item.index, item.envelope.id, publishFailure(item, result.reason)));
    }
    return failures;
  }

  function tooLarge(item: BatchItem): HookyardError {
    return messageTooLarge(
      where,
      { id: item.envelope.id, size: item.size },
      { bytes: limits().maxMessageBytes, name: limitName() },
    );
  }

  /**
   * A refused publish. Over the broker's max_message_size: the limit is learned, and the message fails for good
   * naming both sizes; a message on the same (closed) channel that is within the limit is retryable.
   */
  function publishFailure(item: BatchItem, reason: unknown): HookyardError {
    const refusal = sizeRefusal(reason);
    if (refusal === undefined) return translateAmqpError(reason, "rabbitmq sink");
    brokerMaxMessageBytes = Math.min(brokerMaxMessageBytes ?? refusal.limit, refusal.limit);
    if (item.size > refusal.limit) return tooLarge(item);
    return new HookyardError(
      "CONNECTION_FAILED",
      `rabbitmq closed the channel because another message of ${refusal.size} bytes was over its max_message_size (${refusal.limit}); event ${item.envelope.id} is sent again`,
      { retryable: true },
    );
  }

  return {
    async send(batch) {
      if (stopped !== undefined)
        throw new HookyardError("SINK_STOPPED", "rabbitmq sink is stopped", { retryable: true });
      if (batch.length === 0) return;
      const failures = await publishInBatches(batchItems(batch, sizeOf), {
        where,
        limits: limits(),
        limitName: limitName(),
        publish: publishRequest,
        // RabbitMQ refuses messages one by one (see publishFailure), never a request as a whole for its size.
        isTooLarge: () => false,
        translate: (error) => translateAmqpError(error, "rabbitmq sink"),
        // One request's confirms at a time: bounds the bytes in flight, and keeps the batch's order.
        sequential: true,
      });
      if (failures.length > 0) throw sinkPartialFailure("rabbitmq sink", batch.length, failures);
    },

    limits,
    sizeOf,

    stop() {
      stopped ??= (async () => {
        const open = model;
        model = undefined;
        main.reset();
        probes.reset();
        if (open === undefined) return;
        const connected = await open.catch(() => undefined);
        if (connected === undefined) return;
        await withTimeout(connected.close(), 5_000, () => new Error("close timed out")).catch((error: unknown) =>
          logger.warn({ err: error }, "rabbitmq sink connection did not close cleanly"),
        );
      })();
      return stopped;
    },
  };
}

/** "PRECONDITION_FAILED - message size 200 is larger than configured max size 100" (rabbit_channel:check_msg_size). */
export function sizeRefusal(error: unknown): { size: number; limit: number } | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /message size (\d+) is larger than (?:configured )?max size (\d+)/.exec(message);
  if (match === null) return undefined;
  return { size: Number(match[1]), limit: Number(match[2]) };
}
