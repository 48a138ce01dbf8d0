import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Message, PubSub } from "@google-cloud/pubsub";
import { requireBrokers, uniqueName, withDeadline } from "../src/index.js";

describe("pubsub (pstest fake) smoke", () => {
  let pubsub: PubSub;
  before(() => {
    const brokers = requireBrokers("pubsub");
    pubsub = new PubSub({
      projectId: brokers.pubsubProjectId,
      apiEndpoint: brokers.pubsubEmulatorHost,
      emulatorMode: true,
    });
  });
  after(() => pubsub.close());

  it("creates a topic and subscription, publishes, pulls, acks, and keeps bytes, attributes and ordering key", async () => {
    const [topic] = await pubsub.createTopic(uniqueName("smoke-topic"));
    const [subscription] = await topic.createSubscription(uniqueName("smoke-sub"), {
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
    });
    const payload = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a]);
    const publisher = pubsub.topic(topic.name, { messageOrdering: true });
    const messageId = await publisher.publishMessage({
      data: payload,
      attributes: { "ce-type": "order.created" },
      orderingKey: "customer-1",
    });
    const received = await withDeadline(
      "the message from the subscription",
      new Promise<Message>((resolve, reject) => {
        subscription.on("message", resolve);
        subscription.on("error", reject);
      }),
      15_000,
    );
    assert.equal(received.id, messageId);
    assert.deepEqual(received.data, payload);
    assert.equal(received.attributes["ce-type"], "order.created");
    assert.equal(received.orderingKey, "customer-1");
    assert.equal(await received.ackWithResponse(), "SUCCESS");
    await subscription.close();
    await subscription.delete();
    await topic.delete();
  });
});
