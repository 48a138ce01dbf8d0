import type { PubSub } from "@google-cloud/pubsub";
import { configError } from "@hookyard/core";
import type { PubSubSourceConfig } from "./config.js";
import { isAlreadyExists, translatePubSubError } from "./errors.js";

const ADMIN_TIMEOUT = { timeout: 15_000 };

/** Creates the topic when missing (opt-in `create`). A concurrent creator winning the race is fine. */
export async function ensureTopic(client: PubSub, name: string): Promise<void> {
  const topic = client.topic(name);
  try {
    const [exists] = await topic.exists();
    if (!exists) await client.createTopic(topic.name, ADMIN_TIMEOUT);
  } catch (error) {
    if (!isAlreadyExists(error)) throw translatePubSubError(error, `topic ${topic.name}`);
  }
}

/** Creates the subscription (and its topic) when missing (opt-in `create.enabled`). */
export async function ensureSubscription(client: PubSub, config: PubSubSourceConfig): Promise<void> {
  const topicName = config.create.topic;
  if (topicName === null) {
    throw configError("pubsub source: create.enabled needs create.topic, the topic the subscription reads");
  }
  const subscription = client.subscription(config.subscription);
  try {
    const [exists] = await subscription.exists();
    if (exists) return;
    await ensureTopic(client, topicName);
    await client.topic(topicName).createSubscription(subscription.name, {
      enableMessageOrdering: config.create.messageOrdering,
      ackDeadlineSeconds: Math.min(600, Math.max(10, Math.round(config.create.ackDeadline / 1000))),
      gaxOpts: ADMIN_TIMEOUT,
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw translatePubSubError(error, `subscription ${subscription.name}`);
  }
}

/** Resolves when the subscription exists; rejects with a clear HookyardError otherwise. */
export async function assertSubscriptionExists(client: PubSub, name: string): Promise<void> {
  const subscription = client.subscription(name);
  try {
    await subscription.getMetadata(ADMIN_TIMEOUT);
  } catch (error) {
    const translated = translatePubSubError(error, `subscription ${subscription.name}`);
    if (translated.code === "RESOURCE_NOT_FOUND") {
      throw configError(
        `pubsub subscription ${subscription.name} does not exist: create it (with message ordering for per-key order) or set create.enabled and create.topic`,
        { subscription: subscription.name },
      );
    }
    throw translated;
  }
}

/** Resolves when the topic exists; rejects with a clear HookyardError otherwise. */
export async function assertTopicExists(client: PubSub, name: string): Promise<void> {
  const topic = client.topic(name);
  try {
    await topic.getMetadata(ADMIN_TIMEOUT);
  } catch (error) {
    const translated = translatePubSubError(error, `topic ${topic.name}`);
    if (translated.code === "RESOURCE_NOT_FOUND") {
      throw configError(`pubsub topic ${topic.name} does not exist: create it or set create: true`, {
        topic: topic.name,
      });
    }
    throw translated;
  }
}
