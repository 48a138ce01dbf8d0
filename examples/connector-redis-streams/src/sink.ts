import {
  type BatchItem,
  batchItems,
  connectionError,
  type Envelope,
  type FailedSinkItem,
  publishInBatches,
  type Sink,
  type SinkLimits,
  sinkPartialFailure,
} from "@hookyard/core";
import { Redis } from "ioredis";
import type { RedisStreamsSinkConfig } from "./config.js";

/** One pipeline (one round trip) carries at most this many entries and bytes. */
const ENTRIES_PER_PIPELINE = 500;
const BYTES_PER_PIPELINE = 16 * 1024 * 1024;

/**
 * Appends each envelope to a stream as `data` (the bytes) + CloudEvents `ce-*` fields + its headers. It follows
 * the sink contract with core's publishInBatches: declared limits, an event over maxMessageBytes failing alone,
 * pipelines under their own limits, and a lost connection retryable for every entry.
 */
export function createRedisStreamsSink(config: RedisStreamsSinkConfig): Sink {
  const redis = new Redis(config.url, { maxRetriesPerRequest: 2 });
  const limits = (): SinkLimits => ({
    maxMessageBytes: config.maxMessageBytes,
    maxBatchMessages: ENTRIES_PER_PIPELINE,
    maxBatchBytes: BYTES_PER_PIPELINE,
  });
  const sizeOf = (envelope: Envelope) => envelope.data.byteLength;
  const trim = config.maxLength > 0 ? ["MAXLEN", "~", config.maxLength] : [];

  async function append(items: readonly BatchItem[]): Promise<FailedSinkItem[]> {
    const pipeline = redis.pipeline();
    for (const { envelope } of items) pipeline.xadd(config.stream, ...(trim as []), "*", ...fieldsOf(envelope));
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error], i) => {
      const item = items[i];
      if (!error || item === undefined) return [];
      return [
        { index: item.index, id: item.envelope.id, code: "PUBLISH_FAILED", message: error.message, retryable: true },
      ];
    });
  }

  return {
    async send(batch: readonly Envelope[]) {
      const failed = await publishInBatches(batchItems(batch, sizeOf), {
        where: `redis stream ${config.stream}`,
        limits: limits(),
        publish: append,
        isTooLarge: () => false,
        translate: (error) => connectionError(`redis stream ${config.stream}: ${String(error)}`, error),
      });
      if (failed.length > 0) throw sinkPartialFailure(`redis stream ${config.stream}`, batch.length, failed);
    },
    limits,
    sizeOf,
    async stop() {
      if (redis.status !== "end") await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function fieldsOf(envelope: Envelope): (string | Buffer)[] {
  const fields: (string | Buffer)[] = [
    "data",
    Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength),
    "ce-id",
    envelope.id,
    "ce-type",
    envelope.type,
    "ce-source",
    envelope.source,
    "ce-time",
    envelope.time,
    "content-type",
    envelope.contentType,
  ];
  if (envelope.subject !== undefined) fields.push("ce-subject", envelope.subject);
  for (const [name, value] of Object.entries(envelope.headers)) {
    if (name !== "data" && !name.startsWith("ce-") && name !== "content-type") fields.push(name, value);
  }
  return fields;
}
