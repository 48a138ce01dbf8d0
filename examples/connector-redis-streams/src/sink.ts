import { type Envelope, HookyardError, type Sink } from "@hookyard/core";
import { Redis } from "ioredis";
import type { RedisStreamsSinkConfig } from "./config.js";

/** Appends each envelope to a stream as `data` (the bytes) + CloudEvents `ce-*` fields + its headers. */
export function createRedisStreamsSink(config: RedisStreamsSinkConfig): Sink {
  const redis = new Redis(config.url, { maxRetriesPerRequest: 2 });
  return {
    async send(batch: readonly Envelope[]) {
      const pipeline = redis.pipeline();
      for (const envelope of batch) {
        const trim = config.maxLength > 0 ? ["MAXLEN", "~", config.maxLength] : [];
        pipeline.xadd(config.stream, ...(trim as []), "*", ...fieldsOf(envelope));
      }
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.flatMap(([error], index) =>
        error ? [{ index, id: batch[index]?.id, code: "PUBLISH_FAILED", message: error.message }] : [],
      );
      if (failed.length > 0) {
        throw new HookyardError(
          "SINK_PARTIAL_FAILURE",
          `${failed.length} of ${batch.length} entries were not appended`,
          {
            retryable: true,
            details: { failed },
          },
        );
      }
    },
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
