import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Admin, Consumer, type Message, Producer, stringSerializer } from "@platformatic/kafka";
import { requireBrokers, uniqueName, withDeadline } from "../src/index.js";

describe("kafka smoke", () => {
  let admin: Admin;
  const base = () => ({ clientId: "hookyard-smoke", bootstrapBrokers: [...requireBrokers("kafka").kafkaBrokers] });
  before(() => {
    admin = new Admin(base());
  });
  after(() => admin.close());

  it("creates a topic, produces with acks from all replicas, consumes in a group and commits", async () => {
    const topic = uniqueName("smoke-topic");
    const groupId = uniqueName("smoke-group");
    const [created] = await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    assert.equal(created?.name, topic);
    assert.equal(created?.partitions, 2);
    const payload = Buffer.from([0x00, 0xff, 0x10, 0x7b, 0x7d]);
    const producer = new Producer({
      ...base(),
      idempotent: true,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
    await producer.send({
      acks: -1,
      messages: [
        { topic, key: "customer-1", value: payload, headers: { "ce-type": "order.created", "ce-id": "evt-1" } },
      ],
    });
    await producer.close();

    const consumer = new Consumer({ ...base(), groupId, maxWaitTime: 100 });
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    const received = await withDeadline(
      "the message from the consumer group",
      new Promise<Message>((resolve) => stream.once("data", resolve)),
      30_000,
    );
    assert.deepEqual(received.value, payload);
    assert.equal(received.key?.toString(), "customer-1");
    assert.equal(
      received.headerEntries.find(([name]) => name.toString() === "ce-type")?.[1].toString(),
      "order.created",
    );
    await received.commit();
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [received.partition] }] }],
    });
    const offset = group?.topics[0]?.partitions.find((p) => p.partitionIndex === received.partition)?.committedOffset;
    assert.equal(offset, received.offset + 1n);
    await stream.close();
    await consumer.close(true);
    await admin.deleteTopics({ topics: [topic] });
  });
});
