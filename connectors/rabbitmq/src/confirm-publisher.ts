import { type Envelope, HookyardError, withTimeout } from "@hookyard/core";
import type { ConfirmChannel, Message, Options, RecoveringChannelModel } from "amqplib";
import type { Logger } from "pino";
import type { AmqpSinkConfig } from "./config.js";

/**
 * One confirm channel with `mandatory` publishes, opened again after it (or its connection) closed. `publish`
 * resolves once the broker confirmed the message; a message it returns (no queue bound for its routing key) is a
 * failure, not a silent drop; a closed channel fails every publish waiting on it with the channel's own error.
 */
export interface ConfirmPublisher {
  publish(routingKey: string, envelope: Envelope): Promise<void>;
  /** Forgets the channel (the connection is closed by its owner). */
  reset(): void;
}

/** One publish waiting for its confirm; `returned` is set when the broker could not route it (mandatory). */
interface PendingPublish {
  readonly id: string;
  returned: boolean;
}

/** A channel and what is waiting on it: errors and returns belong to the channel they happened on. */
interface OpenChannel {
  readonly channel: ConfirmChannel;
  readonly pending: PendingPublish[];
  error?: Error;
}

export function createConfirmPublisher(
  connection: () => Promise<RecoveringChannelModel>,
  config: AmqpSinkConfig,
  logger: Logger,
): ConfirmPublisher {
  let current: Promise<OpenChannel> | undefined;

  function open(): Promise<OpenChannel> {
    current ??= (async () => {
      const channel = await (await connection()).createConfirmChannel();
      const state: OpenChannel = { channel, pending: [] };
      channel.on("return", (message: Message) => {
        // Returns arrive before the confirm of the same message, in publish order: the first unconfirmed
        // publish with this id is the one returned.
        const entry = state.pending.find((p) => p.id === message.properties.messageId && !p.returned);
        if (entry) entry.returned = true;
      });
      channel.on("error", (error: Error) => {
        state.error = error;
        logger.warn({ err: error }, "rabbitmq sink channel error");
      });
      channel.on("close", () => {
        if (current === opened) current = undefined;
      });
      return state;
    })().catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    const opened = current;
    return opened;
  }

  async function publishOn(state: OpenChannel, routingKey: string, envelope: Envelope): Promise<void> {
    const entry: PendingPublish = { id: envelope.id, returned: false };
    state.pending.push(entry);
    const done = () => {
      const i = state.pending.indexOf(entry);
      if (i >= 0) state.pending.splice(i, 1);
    };
    await new Promise<void>((resolve, reject) => {
      const content = Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength);
      try {
        state.channel.publish(
          config.exchange,
          routingKey,
          content,
          publishOptions(envelope, config.persistent),
          (error: unknown) => {
            done();
            if (error) reject(state.error ?? error);
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
    async publish(routingKey, envelope) {
      const state = await withTimeout(open(), config.sendTimeout, () => new Error("no connection to RabbitMQ in time"));
      await withTimeout(
        publishOn(state, routingKey, envelope),
        config.sendTimeout,
        () =>
          new HookyardError("SINK_TIMEOUT", `rabbitmq did not confirm within ${config.sendTimeout} ms`, {
            retryable: true,
          }),
      );
    },
    reset() {
      current = undefined;
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
