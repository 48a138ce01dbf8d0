import { setTimeout as sleep } from "node:timers/promises";
import { configError, HookyardError } from "@hookyard/core";
import type { KafkaAdmin } from "./client.js";
import type { KafkaSourceConfig } from "./config.js";
import { translateKafkaError } from "./errors.js";

/**
 * Makes sure the source's topics exist: creates the missing ones when `createTopics.enabled` (opt-in), otherwise
 * fails with a message naming them. Also the body of the source's `check()`.
 */
export async function ensureTopics(
  admin: KafkaAdmin,
  config: Pick<KafkaSourceConfig, "topics" | "createTopics" | "requestTimeout">,
  what: string,
): Promise<void> {
  if (config.topics.length === 0) throw configError(`${what}: topics is empty; name at least one topic to consume`);
  try {
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
    await admin.createTopics(missing, config.createTopics.partitions, config.createTopics.replicationFactor);
    await waitForLeaders(admin, missing, config.requestTimeout);
  } catch (error) {
    throw translateKafkaError(error, what);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** A topic just created has no partition leaders for a moment; consuming it before they exist fails. */
async function waitForLeaders(admin: KafkaAdmin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    const ready = await admin.partitionsWithLeaders(topics).catch(() => new Map<string, number>());
    if (topics.every((topic) => ready.has(topic))) return;
    if (Date.now() > deadline) {
      throw new HookyardError("KAFKA_ERROR", `topic(s) ${topics.join(", ")} got no partition leaders in time`, {
        retryable: true,
      });
    }
    await sleep(wait);
  }
}
