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
import {
  createKafkaAdmin,
  createKafkaProducer,
  type KafkaAdmin,
  type KafkaOutgoingRecord,
  type KafkaProducer,
} from "./client.js";
import type { KafkaSinkConfig } from "./config.js";
import { isTooLargeError, translateKafkaError } from "./errors.js";
import { packChunks, recordInBatchBytes, singleRecordBatchBytes } from "./record-size.js";
import { createTopicLimits, type TopicLimit } from "./topic-limits.js";
import { compileTopicTemplate } from "./topic-template.js";

/**
 * What the sink can publish, in bytes as `sizeOf` counts them (the shape of the sink-limits contract the runtime
 * reads to refuse an event no target can take, with 413, before it is accepted).
 */
export interface KafkaSinkLimits {
  /** The largest event: the topic's max.message.bytes once read (constant topic), else maxMessageBytes. */
  readonly maxMessageBytes: number;
  readonly maxBatchMessages: number;
  readonly maxBatchBytes: number;
}

/** A Kafka sink that declares its limits and how it counts an event against them. */
export interface KafkaSink extends Sink {
  limits(): KafkaSinkLimits;
  /** The event as one Kafka record batch, exactly: what the broker compares with max.message.bytes. */
  sizeOf(envelope: Envelope): number;
}

interface Item {
  readonly index: number;
  readonly id: string;
  readonly record: KafkaOutgoingRecord;
  /** The record alone as a batch, exactly; and what it adds to a batch of several (an upper bound). */
  readonly alone: number;
  readonly inBatch: number;
}

/**
 * Publishes envelopes with an idempotent producer and acks from all in-sync replicas. The body is the envelope's
 * bytes; CloudEvents binary-mode headers (ce-*, content-type) and the envelope's headers travel as Kafka headers;
 * the key is the envelope's key. Each topic's events go out in batches kept under the topic's `max.message.bytes`
 * (read from the broker) and `maxMessageBytes`, at most `maxBatchMessages` each; a batch the broker still refuses
 * as too large is split and sent again, so only an event too large on its own fails, permanently, with its size
 * and the limit named. Any other failure of a batch fails its events with the (translated) error, retryable when
 * the error is. `send` resolves once Kafka acknowledged every message, else throws SINK_PARTIAL_FAILURE.
 */
export function createKafkaSink(config: KafkaSinkConfig, ctx: Context): KafkaSink {
  const topicOf = compileTopicTemplate(config.topic, "sink.topic");
  let producer: KafkaProducer | undefined;
  let admin: KafkaAdmin | undefined;
  const limits = createTopicLimits(
    () => {
      admin ??= createKafkaAdmin(config, ctx.logger);
      return admin;
    },
    config.maxMessageBytes,
    ctx.logger,
  );
  let stopped: Promise<void> | undefined;

  async function sendTopic(topic: string, items: readonly Item[], failures: FailedSinkItem[]): Promise<void> {
    const limit = await limits.get(topic);
    const fitting: Item[] = [];
    for (const item of items) {
      if (item.alone > limit.bytes) failures.push(failedSinkItem(item.index, item.id, tooLarge(item, topic, limit)));
      else fitting.push(item);
    }
    for (const chunk of packChunks(
      fitting,
      (item) => item.inBatch,
      limit.bytes,
      Math.max(1, config.maxBatchMessages),
    )) {
      await sendChunk(topic, chunk, limit, failures);
    }
  }

  /** Sends one batch; a batch refused as too large (or for one bad record) is halved until the culprit is alone. */
  async function sendChunk(topic: string, chunk: readonly Item[], limit: TopicLimit, failures: FailedSinkItem[]) {
    try {
      producer ??= createKafkaProducer(config, ctx.logger);
      await withTimeout(
        producer.send(
          topic,
          chunk.map((item) => item.record),
        ),
        config.sendTimeout,
        () =>
          new HookyardError("SINK_TIMEOUT", `kafka did not acknowledge within ${config.sendTimeout} ms`, {
            retryable: true,
          }),
      );
    } catch (error) {
      const translated = translateKafkaError(error, `kafka sink to topic ${topic}`);
      const tooLargeBatch = isTooLargeError(error);
      if (tooLargeBatch) limits.forget(topic);
      if (chunk.length > 1 && (tooLargeBatch || isPerRecord(translated))) {
        ctx.logger.info(
          { topic, messages: chunk.length, code: translated.code },
          "kafka refused a batch, sending it in halves",
        );
        const half = Math.ceil(chunk.length / 2);
        await sendChunk(topic, chunk.slice(0, half), limit, failures);
        await sendChunk(topic, chunk.slice(half), limit, failures);
        return;
      }
      for (const item of chunk) {
        const failure = tooLargeBatch ? tooLarge(item, topic, limit, true) : translated;
        failures.push(failedSinkItem(item.index, item.id, failure));
      }
    }
  }

  const constantTopic = config.topic.includes("{") ? undefined : config.topic;
  return {
    limits() {
      const known = constantTopic === undefined ? undefined : limits.peek(constantTopic);
      const bytes = known?.bytes ?? config.maxMessageBytes;
      return { maxMessageBytes: bytes, maxBatchMessages: Math.max(1, config.maxBatchMessages), maxBatchBytes: bytes };
    },

    sizeOf: (envelope) => singleRecordBatchBytes(toKafkaRecord(envelope)),

    async send(batch) {
      if (stopped !== undefined) throw new HookyardError("SINK_STOPPED", "kafka sink is stopped", { retryable: true });
      if (batch.length === 0) return;
      const failures: FailedSinkItem[] = [];
      const byTopic = new Map<string, Item[]>();
      for (const [index, envelope] of batch.entries()) {
        try {
          const topic = topicOf(envelope);
          const record = toKafkaRecord(envelope);
          const item = { index, id: envelope.id, record, alone: singleRecordBatchBytes(record) };
          const list = byTopic.get(topic) ?? [];
          list.push({ ...item, inBatch: recordInBatchBytes(record) });
          byTopic.set(topic, list);
        } catch (error) {
          failures.push(failedSinkItem(index, envelope.id, translateKafkaError(error, "kafka sink")));
        }
      }
      await Promise.all([...byTopic].map(([topic, items]) => sendTopic(topic, items, failures)));
      if (failures.length > 0) throw sinkPartialFailure("kafka sink", batch.length, failures);
    },

    stop() {
      stopped ??= (async () => {
        const closing = Promise.all([producer?.close(), admin?.close()]);
        await withTimeout(closing, 10_000, () => new Error("kafka disconnect timed out")).catch((error: unknown) =>
          ctx.logger.warn({ err: error }, "kafka producer did not disconnect cleanly"),
        );
      })();
      return stopped;
    },
  };
}

/** A record-level refusal (e.g. INVALID_RECORD) that one bad event causes for its whole batch. */
function isPerRecord(error: HookyardError): boolean {
  return !error.retryable && error.code !== "CONFIG_INVALID";
}

function tooLarge(item: Item, topic: string, limit: TopicLimit, byBroker = false): HookyardError {
  const message = byBroker
    ? `event ${item.id} is ${item.alone} bytes as a Kafka record batch; the broker refused it as too large for ` +
      `topic ${topic} (MESSAGE_TOO_LARGE), though the limit read was ${limit.bytes} bytes (${limit.source})`
    : `event ${item.id} is ${item.alone} bytes as a Kafka record batch, over the ${limit.bytes}-byte limit of ` +
      `topic ${topic} (${limit.source})`;
  return new HookyardError("MESSAGE_TOO_LARGE", message, {
    retryable: false,
    details: { sizeBytes: item.alone, limitBytes: limit.bytes, limit: limit.source, topic },
  });
}

/** The envelope as a Kafka record: exact bytes, CloudEvents binary-mode headers, key, event time. */
export function toKafkaRecord(envelope: Envelope): KafkaOutgoingRecord {
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
    ...(Number.isNaN(time) ? {} : { timestamp: BigInt(time) }),
  };
}
