import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { type BrokerFixture, inChunks } from "./broker-fixture.js";

/**
 * A topic of its own on Kafka (the shared broker unless `brokers` names another), published to with kafkajs
 * (acks = -1). Events are spread over the partitions by their id (the message key).
 */
export async function kafkaFixture(
  options: { partitions?: number; brokers?: readonly string[]; source?: Record<string, unknown> } = {},
): Promise<BrokerFixture & { readonly topic: string }> {
  const brokers = [...(options.brokers ?? requireBrokers("kafka").kafkaBrokers)];
  const kafka = new Kafka({
    brokers,
    clientId: "hookyard-e2e",
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const topic = uniqueName("e2e-kafka");
  const groupId = uniqueName("e2e-group");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: options.partitions ?? 1 }] });
  let producer: Producer | undefined;
  return {
    name: "kafka",
    topic,
    async publish(events) {
      if (producer === undefined) {
        producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
        await producer.connect();
      }
      const connected = producer;
      await inChunks(events, 500, 1, async (chunk) => {
        await connected.send({
          topic,
          acks: -1,
          messages: chunk.map((event) => ({
            key: event.id,
            value: Buffer.from(event.data),
            headers: { "ce-id": event.id, "ce-type": event.type, ...event.headers },
          })),
        });
      });
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
      await producer?.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
