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
import type { ConfirmChannel, Message, Options, RecoveringChannelModel } from "amqplib";
import { connectRecovering } from "./client.js";
import type { AmqpSinkConfig } from "./config.js";
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

/** One publish waiting for its confirm; `returned` is set when the broker could not route it (mandatory). */
interface PendingPublish {
  readonly id: string;
  returned: boolean;
}

/**
 * Publishes envelopes on a ConfirmChannel with `mandatory`: `send` resolves once the broker confirmed every
 * message. A message the broker returns (no queue bound for its routing key) is a failure, not a silent drop;
 * failures are reported together as SINK_PARTIAL_FAILURE naming the failed items. The body is the envelope's bytes;
 * CloudEvents binary-mode headers (ce-*) and the envelope's headers are AMQP headers; the AMQP message id is the
 * envelope id, so a Hookyard source reading the queue de-duplicates by it.
 */
export function createAmqpSink(config: AmqpSinkConfig, ctx: Context): Sink {
  const routingKeyOf = compileRoutingKeyTemplate(config.routingKey, "sink.routingKey");
  const logger = ctx.logger;
  let model: Promise<RecoveringChannelModel> | undefined;
  let channel: Promise<ConfirmChannel> | undefined;
  let openChannel: ConfirmChannel | undefined;
  let pending: PendingPublish[] = [];
  let channelError: Error | undefined;
  let stopped: Promise<void> | undefined;

  function connection(): Promise<RecoveringChannelModel> {
    model ??= connectRecovering(config, logger, "hookyard sink", async () => undefined).catch((error: unknown) => {
      model = undefined;
      throw error;
    });
    return model;
  }

  /** The confirm channel, opened again after it (or its connection) closed. */
  function confirmChannel(): Promise<ConfirmChannel> {
    channel ??= (async () => {
      const opened = await (await connection()).createConfirmChannel();
      openChannel = opened;
      const waiting: PendingPublish[] = [];
      pending = waiting;
      channelError = undefined;
      opened.on("return", (message: Message) => {
        // Returns arrive before the confirm of the same message, in publish order: the first unconfirmed
        // publish with this id is the one returned.
        const entry = waiting.find((p) => p.id === message.properties.messageId && !p.returned);
        if (entry) entry.returned = true;
      });
      opened.on("error", (error: Error) => {
        channelError = error;
        logger.warn({ err: error }, "rabbitmq sink channel error");
      });
      opened.on("close", () => {
        if (openChannel !== opened) return;
        openChannel = undefined;
        channel = undefined;
      });
      return opened;
    })().catch((error: unknown) => {
      channel = undefined;
      throw error;
    });
    return channel;
  }

  async function publishOne(ch: ConfirmChannel, routingKey: string, envelope: Envelope): Promise<void> {
    const entry: PendingPublish = { id: envelope.id, returned: false };
    pending.push(entry);
    const waiting = pending;
    const done = () => {
      const i = waiting.indexOf(entry);
      if (i >= 0) waiting.splice(i, 1);
    };
    await new Promise<void>((resolve, reject) => {
      const content = Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength);
      try {
        ch.publish(
          config.exchange,
          routingKey,
          content,
          publishOptions(envelope, config.persistent),
          (error: unknown) => {
            done();
            if (error) reject(channelError ?? error);
            else if (entry.returned) {
              reject(
                new HookyardError(
                  "UNROUTABLE",
                  `rabbitmq returned event ${envelope.id}: no queue is bound to exchange ${JSON.stringify(config.exchange)} with routing key ${JSON.stringify(routingKey)}`,
                ),
              );
            } else resolve();
          },
        );
      } catch (error) {
        done();
        reject(error);
      }
    });
  }

  /** Learned from a refusal ("message size N is larger than configured max size M"): the broker's max_message_size. */
  let brokerMaxMessageBytes: number | undefined;
  const limits = (): SinkLimits => ({
    maxMessageBytes: Math.min(config.maxMessageBytes, brokerMaxMessageBytes ?? Number.POSITIVE_INFINITY),
    maxBatchMessages: PUBLISHES_PER_REQUEST,
    maxBatchBytes: BYTES_PER_REQUEST,
  });
  const limitName = () =>
    brokerMaxMessageBytes !== undefined && brokerMaxMessageBytes < config.maxMessageBytes
      ? "broker's max_message_size"
      : "maxMessageBytes";

  /** One request: publishes awaiting their confirms together on the confirm channel. */
  async function publishRequest(items: readonly BatchItem[]): Promise<FailedSinkItem[]> {
    const ch = await withTimeout(
      confirmChannel(),
      config.sendTimeout,
      () => new Error("no connection to RabbitMQ in time"),
    );
    const results = await Promise.allSettled(
      // async: a routing-key template that throws fails its own event only.
      items.map(async (item) =>
        withTimeout(
          publishOne(ch, routingKeyOf(item.envelope), item.envelope),
          config.sendTimeout,
          () =>
            new HookyardError("SINK_TIMEOUT", `rabbitmq did not confirm within ${config.sendTimeout} ms`, {
              retryable: true,
            }),
        ),
      ),
    );
    const failures: FailedSinkItem[] = [];
    for (const [i, result] of results.entries()) {
      const item = items[i];
      if (item === undefined || result.status !== "rejected") continue;
      failures.push(failedSinkItem(item.index, item.envelope.id, publishFailure(item, result.reason)));
    }
    return failures;
  }

  /**
   * A refused publish. A message over the broker's max_message_size closes the channel, failing every publish
   * waiting on it: only the too-large one fails for good (naming its size and the broker's limit, which is learned
   * for the next pre-check); the others are retryable.
   */
  function publishFailure(item: BatchItem, reason: unknown): HookyardError {
    const refusal = sizeRefusal(reason);
    if (refusal === undefined) return translateAmqpError(reason, "rabbitmq sink");
    brokerMaxMessageBytes = Math.min(brokerMaxMessageBytes ?? refusal.limit, refusal.limit);
    if (item.size > refusal.limit) {
      return messageTooLarge(
        `rabbitmq sink to exchange ${JSON.stringify(config.exchange)}`,
        { id: item.envelope.id, size: item.size },
        { bytes: refusal.limit, name: "broker's max_message_size" },
      );
    }
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
        where: `rabbitmq sink to exchange ${JSON.stringify(config.exchange)}`,
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
        channel = undefined;
        openChannel = undefined;
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

/** AMQP properties of one envelope: CloudEvents binary-mode headers, message id, type, timestamp, content type. */
export function publishOptions(envelope: Envelope, persistent: boolean): Options.Publish {
  const time = Date.parse(envelope.time);
  return {
    mandatory: true,
    persistent,
    messageId: envelope.id,
    type: envelope.type,
    contentType: envelope.contentType,
    ...(Number.isNaN(time) ? {} : { timestamp: Math.floor(time / 1000) }),
    headers: {
      ...envelope.headers,
      "ce-specversion": "1.0",
      "ce-id": envelope.id,
      "ce-type": envelope.type,
      "ce-source": envelope.source,
      "ce-time": envelope.time,
      ...(envelope.subject === undefined ? {} : { "ce-subject": envelope.subject }),
      ...(envelope.key === undefined ? {} : { "ce-partitionkey": envelope.key }),
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
