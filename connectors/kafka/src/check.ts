import { type Context, HookyardError } from "@hookyard/core";
import { createKafkaAdmin } from "./client.js";
import type { KafkaSinkConfig, KafkaSourceConfig } from "./config.js";
import { translateKafkaError } from "./errors.js";
import { ensureTopics } from "./topics.js";

/** Health probe of a source: the cluster answers and every topic exists (never creates anything). */
export async function checkKafkaSource(config: KafkaSourceConfig, ctx: Context): Promise<void> {
  await ensureTopics(
    createKafkaAdmin(config, ctx.logger),
    { ...config, createTopics: { ...config.createTopics, enabled: false } },
    "kafka source check",
  );
}

/** Health probe of a sink: the cluster answers, and a constant topic exists unless auto-creation is allowed. */
export async function checkKafkaSink(config: KafkaSinkConfig, ctx: Context): Promise<void> {
  const admin = createKafkaAdmin(config, ctx.logger);
  try {
    const topics = new Set(await admin.listTopics());
    const constant = !config.topic.includes("{");
    if (constant && !config.allowAutoTopicCreation && !topics.has(config.topic)) {
      throw new HookyardError("RESOURCE_NOT_FOUND", `kafka sink check: topic ${config.topic} does not exist`);
    }
  } catch (error) {
    throw translateKafkaError(error, "kafka sink check");
  } finally {
    await admin.close().catch(() => undefined);
  }
}
