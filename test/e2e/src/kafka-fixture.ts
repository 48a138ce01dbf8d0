import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type BrokerFixture, inChunks } from "./broker-fixture.js";
import { kafkaTestClient } from "./kafka-client.js";

/**
 * A topic of its own on Kafka (the shared broker unless `brokers` names another), published to with the suites'
 * own client (idempotent, acks = -1). Events are spread over the partitions by their id (the message key).
 */
export async function kafkaFixture(
  options: { partitions?: number; brokers?: readonly string[]; source?: Record<string, unknown> } = {},
): Promise<BrokerFixture & { readonly topic: string }> {
  const brokers = [...(options.brokers ?? requireBrokers("kafka").kafkaBrokers)];
  const client = kafkaTestClient(brokers);
  const topic = uniqueName("e2e-kafka");
  const groupId = uniqueName("e2e-group");
  await client.createTopic(topic, options.partitions ?? 1);
  return {
    name: "kafka",
    topic,
    async publish(events) {
      await inChunks(events, 500, 1, (chunk) =>
        client.publish(
          topic,
          chunk.map((event) => ({
            key: event.id,
            value: Buffer.from(event.data),
            headers: { "ce-id": event.id, "ce-type": event.type, ...event.headers },
          })),
        ),
      );
    },
    source: (id = "kafka") => ({
      id,
      type: "kafka",
      config: {
        brokers,
        topics: [topic],
        groupId,
        fromBeginning: true,
        maxInFlight: 512,
        fetchMaxWait: "100ms",
        commitInterval: "200ms",
        // A SIGKILLed member blocks the next rebalance until its session times out: keep that short.
        sessionTimeout: "6s",
        heartbeatInterval: "1s",
        retryBackoff: { initial: "50ms", max: "1s" },
        restartBackoff: { initial: "200ms", max: "2s" },
        ...options.source,
      },
    }),
    async cleanup() {
      await client.deleteTopic(topic).catch(() => undefined);
      await client.deleteGroup(groupId).catch(() => undefined);
      await client.close();
    },
  };
}
