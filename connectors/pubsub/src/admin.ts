import type { PubSub, Subscription, Topic } from "@google-cloud/pubsub";
import { configError } from "@hookyard/core";
import type { PubSubSourceConfig } from "./config.js";
import { adminCall } from "./deadline.js";
import { isAlreadyExists, isNotFound, translatePubSubError } from "./errors.js";

const ADMIN_TIMEOUT_MS = 15_000;
const ADMIN_TIMEOUT = { timeout: ADMIN_TIMEOUT_MS };

/**
 * Creates the topic when missing (opt-in `create`). A concurrent creator winning the race is fine. Each call is
 * bounded by `timeoutMs` (the sink's publish timeout: it runs before the first publish of a send).
 */
export async function ensureTopic(client: PubSub, name: string, timeoutMs = ADMIN_TIMEOUT_MS): Promise<void> {
  const topic = client.topic(name);
  const what = `topic ${topic.name}`;
  const gaxOpts = { timeout: timeoutMs };
  try {
    if (!(await exists(topic, timeoutMs, what)))
      await adminCall(client.createTopic(topic.name, gaxOpts), timeoutMs, what);
  } catch (error) {
    if (!isAlreadyExists(error)) throw translatePubSubError(error, what);
  }
}

/** Whether a topic or subscription exists (its metadata answers, or NOT_FOUND), bounded by `ms`. */
async function exists(resource: Topic | Subscription, ms: number, what: string): Promise<boolean> {
  try {
    const metadata: Promise<unknown> = resource.getMetadata({ timeout: ms });
    await adminCall(metadata, ms, what);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
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
    const what = `subscription ${subscription.name}`;
    if (await exists(subscription, ADMIN_TIMEOUT_MS, what)) return;
    await ensureTopic(client, topicName);
    const creating = client.topic(topicName).createSubscription(subscription.name, {
      enableMessageOrdering: config.create.messageOrdering,
      ackDeadlineSeconds: Math.min(600, Math.max(10, Math.round(config.create.ackDeadline / 1000))),
      gaxOpts: ADMIN_TIMEOUT,
    });
    await adminCall(creating, ADMIN_TIMEOUT_MS, what);
  } catch (error) {
    if (!isAlreadyExists(error)) throw translatePubSubError(error, `subscription ${subscription.name}`);
  }
}

/** Resolves when the subscription exists; rejects with a clear HookyardError otherwise. */
export async function assertSubscriptionExists(client: PubSub, name: string): Promise<void> {
  const subscription = client.subscription(name);
  try {
    await adminCall(subscription.getMetadata(ADMIN_TIMEOUT), ADMIN_TIMEOUT_MS, `subscription ${subscription.name}`);
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
    await adminCall(topic.getMetadata(ADMIN_TIMEOUT), ADMIN_TIMEOUT_MS, `topic ${topic.name}`);
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
