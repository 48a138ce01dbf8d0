import type { Logger } from "pino";
import type { KafkaAdmin } from "./client.js";

/** How long a topic's limit read from the broker is trusted before it is read again. */
const FRESH_MS = 5 * 60_000;
/** How long the config's value stands in after the broker would not say (ACLs, missing topic, broker down). */
const FALLBACK_MS = 30_000;

/** Where a topic's byte limit came from, for error messages. */
export interface TopicLimit {
  /** Largest record batch the sink sends to the topic, in bytes. */
  readonly bytes: number;
  /** "the topic's max.message.bytes" or "maxMessageBytes". */
  readonly source: string;
}

export interface TopicLimits {
  /** The smaller of the topic's `max.message.bytes` (read with describe-configs, cached) and `maxMessageBytes`. */
  get(topic: string): Promise<TopicLimit>;
  /** What is known now for `topic` (read and still fresh), without asking the broker. */
  peek(topic: string): TopicLimit | undefined;
  /** Forgets what was read for `topic` (the broker refused a batch under it: the limit may have changed). */
  forget(topic: string): void;
}

export function createTopicLimits(
  admin: () => KafkaAdmin,
  configured: number,
  logger: Logger,
  now: () => number = Date.now,
): TopicLimits {
  const cache = new Map<string, { limit: TopicLimit; until: number }>();
  const reading = new Map<string, Promise<TopicLimit>>();
  const fallback: TopicLimit = { bytes: configured, source: "maxMessageBytes" };

  async function read(topic: string): Promise<TopicLimit> {
    try {
      const value = Number(await admin().topicConfig(topic, "max.message.bytes"));
      if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`max.message.bytes is ${value}`);
      const limit = value < configured ? { bytes: value, source: `topic ${topic}'s max.message.bytes` } : fallback;
      cache.set(topic, { limit, until: now() + FRESH_MS });
      return limit;
    } catch (error) {
      logger.debug({ err: error, topic }, "kafka topic limit not readable, using maxMessageBytes");
      cache.set(topic, { limit: fallback, until: now() + FALLBACK_MS });
      return fallback;
    }
  }

  return {
    get(topic) {
      const cached = cache.get(topic);
      if (cached !== undefined && cached.until > now()) return Promise.resolve(cached.limit);
      let pending = reading.get(topic);
      if (pending === undefined) {
        pending = read(topic).finally(() => reading.delete(topic));
        reading.set(topic, pending);
      }
      return pending;
    },
    peek(topic) {
      const cached = cache.get(topic);
      return cached !== undefined && cached.until > now() ? cached.limit : undefined;
    },
    forget(topic) {
      cache.delete(topic);
    },
  };
}
