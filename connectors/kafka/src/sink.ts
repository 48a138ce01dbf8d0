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
import { CompressionTypes, type Message, Partitioners, type Producer } from "kafkajs";
import { createKafkaClient } from "./client.js";
import type { KafkaSinkConfig } from "./config.js";
import { translateKafkaError } from "./errors.js";
import { compileTopicTemplate } from "./topic-template.js";

/**
 * Publishes envelopes with an idempotent producer and acks from all in-sync replicas. The body is the envelope's
 * bytes; CloudEvents binary-mode headers (ce-*, content-type) and the envelope's headers travel as Kafka headers;
 * the key is the envelope's key. A batch is sent per topic; `send` resolves once Kafka acknowledged every message,
 * otherwise throws SINK_PARTIAL_FAILURE naming the failed items.
 */
export function createKafkaSink(config: KafkaSinkConfig, ctx: Context): Sink {
  const where = "sink.topic";
  const topicOf = compileTopicTemplate(config.topic, where);
  const kafka = createKafkaClient(config, ctx.logger);
  let connecting: Promise<Producer> | undefined;
  let stopped: Promise<void> | undefined;

  function connected(): Promise<Producer> {
    connecting ??= (async () => {
      const next = kafka.producer({
        idempotent: true,
        // One request in flight per broker keeps the idempotent producer's sequence numbers gapless.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: config.allowAutoTopicCreation,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: config.retries },
      });
      try {
        await next.connect();
      } catch (error) {
        connecting = undefined;
        await next.disconnect().catch(() => undefined);
        throw translateKafkaError(error, "kafka sink connect");
      }
      return next;
    })();
    return connecting;
  }

  return {
    async send(batch) {
      if (stopped !== undefined) throw new HookyardError("SINK_STOPPED", "kafka sink is stopped", { retryable: true });
      if (batch.length === 0) return;
      const failures: FailedSinkItem[] = [];
      const byTopic = new Map<string, { index: number; message: Message }[]>();
      for (const [index, envelope] of batch.entries()) {
        try {
          if (envelope.data.byteLength > config.maxMessageBytes) {
            throw new HookyardError(
              "MESSAGE_TOO_LARGE",
              `event ${envelope.id} has ${envelope.data.byteLength} bytes, over maxMessageBytes (${config.maxMessageBytes})`,
            );
          }
          const topic = topicOf(envelope);
          const list = byTopic.get(topic) ?? [];
          list.push({ index, message: toKafkaMessage(envelope) });
          byTopic.set(topic, list);
        } catch (error) {
          failures.push(failedSinkItem(index, envelope.id, translateKafkaError(error, "kafka sink")));
        }
      }
      if (byTopic.size > 0) {
        const client = await connected();
        const results = await Promise.allSettled(
          [...byTopic].map(([topic, items]) =>
            withTimeout(
              client.send({
                topic,
                acks: -1,
                compression: config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
                messages: items.map((item) => item.message),
              }),
              config.sendTimeout,
              () =>
                new HookyardError("SINK_TIMEOUT", `kafka did not acknowledge within ${config.sendTimeout} ms`, {
                  retryable: true,
                }),
            ),
          ),
        );
        for (const [i, [topic, items]] of [...byTopic].entries()) {
          const result = results[i];
          if (result?.status !== "rejected") continue;
          const error = translateKafkaError(result.reason, `kafka sink to topic ${topic}`);
          for (const item of items) failures.push(failedSinkItem(item.index, batch[item.index]?.id ?? "", error));
        }
      }
      if (failures.length > 0) throw sinkPartialFailure("kafka sink", batch.length, failures);
    },

    stop() {
      stopped ??= (async () => {
        const pending = connecting;
        if (pending === undefined) return;
        const client = await pending.catch(() => undefined);
        await withTimeout(
          client?.disconnect() ?? Promise.resolve(),
          10_000,
          () => new Error("kafka disconnect timed out"),
        ).catch((error: unknown) => ctx.logger.warn({ err: error }, "kafka producer did not disconnect cleanly"));
      })();
      return stopped;
    },
  };
}

/** The envelope as a Kafka record: exact bytes, CloudEvents binary-mode headers, key, event time. */
export function toKafkaMessage(envelope: Envelope): Message {
  const headers: Record<string, string> = {
    ...envelope.headers,
    "ce-specversion": "1.0",
    "ce-id": envelope.id,
    "ce-type": envelope.type,
    "ce-source": envelope.source,
    "ce-time": envelope.time,
    "content-type": envelope.contentType,
    ...(envelope.subject === undefined ? {} : { "ce-subject": envelope.subject }),
  };
  const time = Date.parse(envelope.time);
  return {
    value: Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength),
    headers,
    ...(envelope.key === undefined ? {} : { key: envelope.key }),
    ...(Number.isNaN(time) ? {} : { timestamp: String(time) }),
  };
}
