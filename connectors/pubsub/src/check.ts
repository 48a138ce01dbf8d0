import { type Context, HookyardError } from "@hookyard/core";
import { assertSubscriptionExists, assertTopicExists } from "./admin.js";
import { createPubSubClient } from "./client.js";
import type { PubSubSinkConfig, PubSubSourceConfig } from "./config.js";

/** Health probe of a source: Pub/Sub answers and the subscription exists. */
export async function checkPubSubSource(config: PubSubSourceConfig, _ctx: Context): Promise<void> {
  const client = createPubSubClient(config);
  try {
    await assertSubscriptionExists(client, config.subscription);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Health probe of a sink: Pub/Sub answers and the topic exists (or will be created: `create`). */
export async function checkPubSubSink(config: PubSubSinkConfig, _ctx: Context): Promise<void> {
  const client = createPubSubClient(config);
  try {
    await assertTopicExists(client, config.topic);
  } catch (error) {
    // A missing topic is fine when the sink creates it; an unreachable Pub/Sub is not.
    if (!(config.create && error instanceof HookyardError && error.code === "CONFIG_INVALID")) throw error;
  } finally {
    await client.close().catch(() => undefined);
  }
}
