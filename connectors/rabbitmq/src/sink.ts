import {
  type Context,
  type Envelope,
  type FailedSinkItem,
  failedSinkItem,
  HookyardError,
  type Sink,
  sinkPartialFailure,
  withTimeout,
} from "@hookyard/core";
import type { ConfirmChannel, Message, Options, RecoveringChannelModel } from "amqplib";
import { connectRecovering } from "./client.js";
import type { AmqpSinkConfig } from "./config.js";
import { translateAmqpError } from "./errors.js";
import { compileRoutingKeyTemplate } from "./routing-key-template.js";

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

  return {
    async send(batch) {
      if (stopped !== undefined)
        throw new HookyardError("SINK_STOPPED", "rabbitmq sink is stopped", { retryable: true });
      if (batch.length === 0) return;
      const failures: FailedSinkItem[] = [];
      const ready: { index: number; routingKey: string; envelope: Envelope }[] = [];
      for (const [index, envelope] of batch.entries()) {
        try {
          if (envelope.data.byteLength > config.maxMessageBytes) {
            throw new HookyardError(
              "MESSAGE_TOO_LARGE",
              `event ${envelope.id} has ${envelope.data.byteLength} bytes, over maxMessageBytes (${config.maxMessageBytes})`,
            );
          }
          ready.push({ index, routingKey: routingKeyOf(envelope), envelope });
        } catch (error) {
          failures.push(failedSinkItem(index, envelope.id, translateAmqpError(error, "rabbitmq sink")));
        }
      }
      if (ready.length > 0) {
        let ch: ConfirmChannel | undefined;
        try {
          ch = await withTimeout(
            confirmChannel(),
            config.sendTimeout,
            () => new Error("no connection to RabbitMQ in time"),
          );
        } catch (error) {
          const translated = translateAmqpError(error, "rabbitmq sink");
          for (const item of ready) failures.push(failedSinkItem(item.index, item.envelope.id, translated));
        }
        if (ch !== undefined) {
          const open = ch;
          const results = await Promise.allSettled(
            ready.map((item) =>
              withTimeout(
                publishOne(open, item.routingKey, item.envelope),
                config.sendTimeout,
                () =>
                  new HookyardError("SINK_TIMEOUT", `rabbitmq did not confirm within ${config.sendTimeout} ms`, {
                    retryable: true,
                  }),
              ),
            ),
          );
          for (const [i, result] of results.entries()) {
            const item = ready[i];
            if (item === undefined || result.status !== "rejected") continue;
            failures.push(
              failedSinkItem(item.index, item.envelope.id, translateAmqpError(result.reason, "rabbitmq sink")),
            );
          }
        }
      }
      if (failures.length > 0) throw sinkPartialFailure("rabbitmq sink", batch.length, failures);
    },

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
