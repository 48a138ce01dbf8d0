import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { requireBrokers, uniqueName, withDeadline } from "../src/index.js";

describe("kafka smoke", () => {
  let kafka: Kafka;
  let admin: Admin;
  before(async () => {
    kafka = new Kafka({
      clientId: "hookyard-smoke",
      brokers: [...requireBrokers("kafka").kafkaBrokers],
      logLevel: logLevel.ERROR,
    });
    admin = kafka.admin();
    await admin.connect();
  });
  after(() => admin.disconnect());

  it("creates a topic, produces with acks from all replicas, consumes in a group and commits", async () => {
    const topic = uniqueName("smoke-topic");
    const groupId = uniqueName("smoke-group");
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }), true);
    const payload = Buffer.from([0x00, 0xff, 0x10, 0x7b, 0x7d]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: "customer-1", value: payload, headers: { "ce-type": "order.created", "ce-id": "evt-1" } }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await withDeadline(
      "the message from the consumer group",
      new Promise<{ message: KafkaMessage; partition: number }>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => resolve({ message, partition }),
        });
      }),
      30_000,
    );
    assert.deepEqual(received.message.value, payload);
    assert.equal(received.message.key?.toString(), "customer-1");
    assert.equal(received.message.headers?.["ce-type"]?.toString(), "order.created");
    await consumer.commitOffsets([
      { topic, partition: received.partition, offset: (BigInt(received.message.offset) + 1n).toString() },
    ]);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = committed?.partitions.find((p) => p.partition === received.partition)?.offset;
    assert.equal(offset, (BigInt(received.message.offset) + 1n).toString());
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
  });
});
