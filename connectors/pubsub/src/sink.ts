import type { PubSub, Topic } from "@google-cloud/pubsub";
import {
  type Context,
  type Envelope,
  type FailedSinkItem,
  failedSinkItem,
  HookyardError,
  type Sink,
  sinkPartialFailure,
} from "@hookyard/core";
import { ensureTopic } from "./admin.js";
import { createPubSubClient } from "./client.js";
import { cloudEventAttributes } from "./cloudevents-attributes.js";
import type { PubSubSinkConfig } from "./config.js";
import { translatePubSubError } from "./errors.js";

export interface PubSubSinkOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and closes it. */
  readonly client?: PubSub;
}

/**
 * A Pub/Sub sink: each envelope is one message (payload bytes as data, CloudEvents binary-mode attributes plus
 * the envelope's headers), published with the envelope's key as ordering key. `send` resolves only when Pub/Sub
 * answered every publish; failures are reported per item, and a failed ordering key is resumed so later sends of
 * that key are not refused.
 */
export function createPubSubSink(config: PubSubSinkConfig, ctx: Context, options: PubSubSinkOptions = {}): Sink {
  const log = ctx.logger;
  let client: PubSub | undefined;
  let topic: Topic | undefined;
  let ready: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const open = (): Topic => {
    client ??= options.client ?? createPubSubClient(config);
    topic ??= client.topic(config.topic, {
      messageOrdering: config.messageOrdering,
      batching: {
        maxMessages: config.batching.maxMessages,
        maxMilliseconds: config.batching.maxDelay,
        maxBytes: config.batching.maxBytes,
      },
      gaxOpts: { timeout: config.publishTimeout },
    });
    return topic;
  };

  const prepare = async (): Promise<void> => {
    if (!config.create) return;
    ready ??= ensureTopic(client as PubSub, config.topic).catch((error: unknown) => {
      ready = undefined; // try again at the next send
      throw error;
    });
    await ready;
  };

  const publishOne = async (target: Topic, envelope: Envelope): Promise<void> => {
    if (envelope.data.byteLength > config.maxMessageBytes) {
      throw new HookyardError(
        "MESSAGE_TOO_LARGE",
        `payload of ${envelope.data.byteLength} bytes exceeds maxMessageBytes (${config.maxMessageBytes})`,
      );
    }
    const orderingKey = config.messageOrdering ? envelope.key : undefined;
    await target.publishMessage({
      data: Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength),
      attributes: cloudEventAttributes(envelope),
      ...(orderingKey === undefined || orderingKey === "" ? {} : { orderingKey }),
    });
  };

  return {
    async send(batch) {
      if (stopping !== undefined) throw new HookyardError("SINK_STOPPED", "pubsub sink is stopped");
      if (batch.length === 0) return;
      const target = open();
      await prepare();
      const results = await Promise.allSettled(batch.map((envelope) => publishOne(target, envelope)));
      const failed: FailedSinkItem[] = [];
      const keysToResume = new Set<string>();
      results.forEach((result, index) => {
        if (result.status === "fulfilled") return;
        const envelope = batch[index] as Envelope;
        const error = translatePubSubError(result.reason, `topic ${target.name}`);
        failed.push(failedSinkItem(index, envelope.id, error));
        if (config.messageOrdering && envelope.key !== undefined && envelope.key !== "") keysToResume.add(envelope.key);
      });
      // The publisher refuses a key after a failure until resumed; the caller decides about re-sending.
      for (const key of keysToResume) target.resumePublishing(key);
      if (failed.length > 0) {
        const error = sinkPartialFailure(`pubsub topic ${target.name}`, batch.length, failed);
        log.warn({ failed: failed.length, total: batch.length, topic: target.name }, "pubsub publish failed");
        throw error;
      }
    },

    stop() {
      stopping ??= (async () => {
        try {
          await topic?.flush();
        } catch (error) {
          log.warn({ err: error }, "pubsub flush on stop failed");
        }
        if (client !== undefined && options.client === undefined) {
          try {
            await client.close();
          } catch (error) {
            log.warn({ err: error }, "pubsub client close failed");
          }
        }
      })();
      return stopping;
    },
  };
}
