import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import amqp from "amqplib";
import { requireBrokers, uniqueName, withDeadline } from "../src/index.js";

describe("rabbitmq smoke", () => {
  let connection: amqp.ChannelModel;
  before(async () => {
    connection = await amqp.connect(requireBrokers("rabbitmq").amqpUrl);
  });
  after(() => connection.close());

  it("publishes with confirms through an exchange, consumes, acks, and keeps bytes and headers", async () => {
    const channel = await connection.createConfirmChannel();
    const exchange = uniqueName("smoke-x");
    const queue = uniqueName("smoke-q");
    await channel.assertExchange(exchange, "topic", { durable: false, autoDelete: true });
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    await channel.bindQueue(queue, exchange, "order.*");
    const payload = Buffer.from([0, 1, 2, 255, 254, 0x0a]);
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        exchange,
        "order.created",
        payload,
        { messageId: "msg-1", contentType: "application/octet-stream", headers: { "x-event-type": "order.created" } },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    const received = await withDeadline(
      "the message on the queue",
      new Promise<amqp.ConsumeMessage>((resolve) => {
        void channel.consume(queue, (message) => message && resolve(message), { noAck: false });
      }),
      10_000,
    );
    assert.deepEqual(received.content, payload);
    assert.equal(received.properties.messageId, "msg-1");
    assert.equal(received.properties.headers?.["x-event-type"], "order.created");
    channel.ack(received);
    await channel.deleteQueue(queue);
    await channel.close();
  });
});
