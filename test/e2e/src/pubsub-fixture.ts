import { PubSub, type Topic } from "@google-cloud/pubsub";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type BrokerFixture, inChunks } from "./broker-fixture.js";

export interface PubSubFixture extends BrokerFixture {
  readonly topic: string;
  readonly subscription: string;
  /** Creates the topic and subscription again (a restarted pstest keeps nothing). */
  recreate(): Promise<void>;
}

/**
 * A topic and subscription of their own on pstest (the shared fake unless `emulatorHost` names another), published
 * to with @google-cloud/pubsub. `sourceHost` is where Hookyard connects (e.g. a TCP proxy in front of the fake).
 */
export async function pubsubFixture(
  options: { emulatorHost?: string; projectId?: string; sourceHost?: string; source?: Record<string, unknown> } = {},
): Promise<PubSubFixture> {
  const shared = options.emulatorHost === undefined ? requireBrokers("pubsub") : undefined;
  const emulatorHost = options.emulatorHost ?? shared?.pubsubEmulatorHost ?? "";
  const projectId = options.projectId ?? shared?.pubsubProjectId ?? "hookyard-e2e";
  const client = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  const topicName = uniqueName("e2e-topic");
  const subscription = uniqueName("e2e-sub");
  let topic: Topic | undefined;
  const create = async () => {
    const [created] = await client.createTopic(topicName);
    await created.createSubscription(subscription, { ackDeadlineSeconds: 10 });
    topic = client.topic(topicName, { batching: { maxMessages: 500, maxMilliseconds: 5 } });
  };
  await create();
  return {
    name: "pubsub",
    topic: topicName,
    subscription,
    recreate: create,
    async publish(events) {
      const target = topic;
      if (target === undefined) throw new Error("no topic");
      await inChunks(events, 500, 1, async (chunk) => {
        await Promise.all(
          chunk.map((event) =>
            target.publishMessage({
              data: Buffer.from(event.data),
              attributes: { "ce-id": event.id, "ce-type": event.type, ...event.headers },
            }),
          ),
        );
      });
    },
    source: (id = "pubsub") => ({
      id,
      type: "pubsub",
      config: {
        projectId,
        emulatorHost: options.sourceHost ?? emulatorHost,
        subscription,
        maxInFlight: 512,
        // pstest hands each stream about one message per 10 ms tick (an unbuffered channel): more streams, more rate.
        streams: 8,
        stopTimeout: "2s",
        ...options.source,
      },
    }),
    async cleanup() {
      await client
        .subscription(subscription)
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
