// Test helpers (not exported from the package): a private topic + subscription per test on the pstest fake.
import { type Message, PubSub } from "@google-cloud/pubsub";
import { registerConfigFormats, type SourceContext } from "@hookyard/core";
import type { SinkHarness, SourceHarness, SourceOverrides, TestMessage } from "@hookyard/core/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import convict from "convict";
import { type PubSubSinkConfig, type PubSubSourceConfig, pubsubSinkSchema, pubsubSourceSchema } from "./config.js";
import { createPubSubSink } from "./sink.js";
import { createPubSubSource } from "./source.js";

registerConfigFormats();

export interface PubSubTestBroker {
  readonly projectId: string;
  readonly emulatorHost: string;
}

export function pubsubTestBroker(): PubSubTestBroker {
  const brokers = requireBrokers("pubsub");
  return { projectId: brokers.pubsubProjectId, emulatorHost: brokers.pubsubEmulatorHost };
}

/** A client for the fake, made the way the connector makes one in emulator mode. */
export function adminClient(broker: PubSubTestBroker): PubSub {
  return new PubSub({ projectId: broker.projectId, apiEndpoint: broker.emulatorHost, emulatorMode: true });
}

/** A source config through the real schema (defaults applied, validated), with test overrides. */
export function sourceConfig(broker: PubSubTestBroker, values: Record<string, unknown>): PubSubSourceConfig {
  const config = convict(pubsubSourceSchema, { env: {}, args: [] });
  config.load({ projectId: broker.projectId, emulatorHost: broker.emulatorHost, ...values });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

export function sinkConfig(broker: PubSubTestBroker, values: Record<string, unknown>): PubSubSinkConfig {
  const config = convict(pubsubSinkSchema, { env: {}, args: [] });
  config.load({ projectId: broker.projectId, emulatorHost: broker.emulatorHost, ...values });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

export interface PubSubPlace {
  readonly client: PubSub;
  readonly topic: string;
  readonly subscription: string;
  publish(messages: readonly TestMessage[]): Promise<string[]>;
  /** Pulls `count` messages off the subscription (acking them) with the client's own subscriber. */
  read(count: number, timeoutMs: number): Promise<TestMessage[]>;
  cleanup(): Promise<void>;
}

/** A unique topic and an ordered subscription on it. */
export async function createPlace(broker: PubSubTestBroker, prefix = "hy"): Promise<PubSubPlace> {
  const client = adminClient(broker);
  const topicName = uniqueName(`${prefix}-topic`);
  const subscriptionName = uniqueName(`${prefix}-sub`);
  const [topic] = await client.createTopic(topicName);
  await topic.createSubscription(subscriptionName, { enableMessageOrdering: true, ackDeadlineSeconds: 10 });
  const publisher = client.topic(topicName, { messageOrdering: true, batching: { maxMilliseconds: 1 } });
  return {
    client,
    topic: topicName,
    subscription: subscriptionName,
    publish: (messages) =>
      Promise.all(
        messages.map((message) =>
          publisher.publishMessage({
            data: Buffer.from(message.data),
            attributes: { ...message.headers },
            ...(message.key === undefined ? {} : { orderingKey: message.key }),
          }),
        ),
      ),
    read: (count, timeoutMs) => readMessages(client, subscriptionName, count, timeoutMs),
    async cleanup() {
      await client
        .subscription(subscriptionName)
        .delete()
        .catch(() => undefined);
      await client
        .topic(topicName)
        .delete()
        .catch(() => undefined);
      await client.close();
    },
  };
}

export function readMessages(client: PubSub, name: string, count: number, timeoutMs: number): Promise<TestMessage[]> {
  const subscription = client.subscription(name);
  const received: TestMessage[] = [];
  return new Promise<TestMessage[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      void subscription.close().finally(() => reject(new Error(`read ${received.length} of ${count} messages`)));
    }, timeoutMs);
    subscription.on("error", (error) => {
      clearTimeout(timer);
      void subscription.close().finally(() => reject(error));
    });
    subscription.on("message", (message: Message) => {
      message.ack();
      received.push({
        data: new Uint8Array(message.data),
        headers: { ...message.attributes },
        ...(message.orderingKey ? { key: message.orderingKey } : {}),
      });
      if (received.length === count) {
        clearTimeout(timer);
        void subscription.close().then(() => resolve(received), reject);
      }
    });
  });
}

export async function sourceHarness(broker: PubSubTestBroker): Promise<SourceHarness> {
  const place = await createPlace(broker, "conf");
  return {
    createSource: (context: SourceContext, overrides: SourceOverrides = {}) =>
      createPubSubSource(
        sourceConfig(broker, {
          subscription: place.subscription,
          ...(overrides.maxInFlight === undefined ? {} : { maxInFlight: overrides.maxInFlight }),
          ...(overrides.maxMessageBytes === undefined ? {} : { maxMessageBytes: overrides.maxMessageBytes }),
        }),
        context,
      ),
    publish: async (messages) => {
      await place.publish(messages);
    },
    cleanup: () => place.cleanup(),
  };
}

export async function sinkHarness(broker: PubSubTestBroker): Promise<SinkHarness> {
  const place = await createPlace(broker, "conf-sink");
  return {
    createSink: (context) => createPubSubSink(sinkConfig(broker, { topic: place.topic }), context),
    readBack: (count, timeoutMs) => place.read(count, timeoutMs),
    // Nothing listens on port 1; the client retries until the publish deadline, then gives up.
    createUnreachableSink: (context) =>
      createPubSubSink(
        sinkConfig(broker, { topic: place.topic, emulatorHost: "127.0.0.1:1", publishTimeout: "3s" }),
        context,
      ),
    cleanup: () => place.cleanup(),
  };
}
