import { configError, HookyardError } from "@hookyard/core";
import type { Kafka } from "kafkajs";
import type { KafkaSourceConfig } from "./config.js";
import { translateKafkaError } from "./errors.js";

/**
 * Makes sure the source's topics exist: creates the missing ones when `createTopics.enabled` (opt-in), otherwise
 * fails with a message naming them. Also the body of the source's `check()`.
 */
export async function ensureTopics(
  kafka: Kafka,
  config: Pick<KafkaSourceConfig, "topics" | "createTopics">,
  what: string,
): Promise<void> {
  if (config.topics.length === 0) throw configError(`${what}: topics is empty; name at least one topic to consume`);
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = config.topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    if (!config.createTopics.enabled) {
      throw new HookyardError(
        "RESOURCE_NOT_FOUND",
        `${what}: topic(s) ${missing.join(", ")} do not exist on the Kafka cluster ` +
          "(create them, or set createTopics.enabled to let Hookyard create them)",
      );
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: config.createTopics.partitions,
        replicationFactor: config.createTopics.replicationFactor,
      })),
    });
  } catch (error) {
    throw translateKafkaError(error, what);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
