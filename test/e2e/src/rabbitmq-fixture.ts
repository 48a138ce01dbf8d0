import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type ChannelModel, type ConfirmChannel, connect } from "amqplib";
import { type BrokerFixture, inChunks } from "./broker-fixture.js";

/**
 * A durable queue of its own on the shared RabbitMQ, published to with amqplib on a confirm channel (persistent
 * messages, message-id = event id). `url` is where Hookyard connects (e.g. a TCP proxy in front of the broker).
 */
export async function rabbitmqFixture(
  options: { url?: string; source?: Record<string, unknown> } = {},
): Promise<BrokerFixture & { readonly queue: string }> {
  const brokerUrl = requireBrokers("rabbitmq").amqpUrl;
  const model: ChannelModel = await connect(brokerUrl);
  const channel: ConfirmChannel = await model.createConfirmChannel();
  const queue = uniqueName("e2e-rabbit");
  await channel.assertQueue(queue, { durable: true });
  return {
    name: "rabbitmq",
    queue,
    async publish(events) {
      await inChunks(events, 500, 1, async (chunk) => {
        for (const event of chunk) {
          channel.sendToQueue(queue, Buffer.from(event.data), {
            persistent: true,
            messageId: event.id,
            headers: { "ce-id": event.id, "ce-type": event.type, ...event.headers },
          });
        }
        await channel.waitForConfirms();
      });
    },
    source: (id = "rabbitmq") => ({
      id,
      type: "rabbitmq",
      config: {
        url: options.url ?? brokerUrl,
        queue,
        maxInFlight: 256,
        retryBackoff: { initial: "50ms", max: "1s" },
        reconnect: { initialDelay: "100ms", maxDelay: "1s", initialAttempts: 3 },
        ...options.source,
      },
    }),
    async cleanup() {
      await channel.deleteQueue(queue).catch(() => undefined);
      await model.close().catch(() => undefined);
    },
  };
}
