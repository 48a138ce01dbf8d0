// Shared by this package's tests: config from the real schema, and an amqplib connection to publish/read back.
import { registerConfigFormats } from "@hookyard/core";
import type { TestMessage } from "@hookyard/core/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type ChannelModel, type ConfirmChannel, connect, type GetMessage } from "amqplib";
import convict from "convict";
import { type AmqpSinkConfig, type AmqpSourceConfig, amqpSinkSchema, amqpSourceSchema } from "./config.js";
import { headersToStrings } from "./to-source-message.js";

registerConfigFormats();

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** The header the tests publish a message's key under (the source reads it via keyHeader). */
export const KEY_HEADER = "partition-key";

export function sourceConfig(queue: string, partial: DeepPartial<AmqpSourceConfig> = {}): AmqpSourceConfig {
  const config = convict(amqpSourceSchema, { env: {}, args: [] });
  config.load({
    url: requireBrokers("rabbitmq").amqpUrl,
    queue,
    keyHeader: KEY_HEADER,
    retryBackoff: { initial: 20, max: 200 },
    reconnect: { initialDelay: 50, maxDelay: 500, initialAttempts: 1 },
    ...partial,
  });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

export function sinkConfig(partial: DeepPartial<AmqpSinkConfig> = {}): AmqpSinkConfig {
  const config = convict(amqpSinkSchema, { env: {}, args: [] });
  config.load({ url: requireBrokers("rabbitmq").amqpUrl, reconnect: { initialAttempts: 1 }, ...partial });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

/** One connection and confirm channel per test file, for declaring, publishing and reading back. */
export function createAmqpTestClients() {
  let connection: Promise<{ model: ChannelModel; channel: ConfirmChannel }> | undefined;
  const open = () => {
    connection ??= (async () => {
      const model = await connect(requireBrokers("rabbitmq").amqpUrl);
      const channel = await model.createConfirmChannel();
      return { model, channel };
    })();
    return connection;
  };
  return {
    async channel(): Promise<ConfirmChannel> {
      return (await open()).channel;
    },
    async createQueue(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
      const queue = uniqueName(prefix);
      await (await this.channel()).assertQueue(queue, { durable: false, arguments: args });
      return queue;
    },
    async deleteQueue(queue: string): Promise<void> {
      await (await this.channel()).deleteQueue(queue).catch(() => undefined);
    },
    async publish(queue: string, messages: readonly TestMessage[]): Promise<void> {
      const channel = await this.channel();
      for (const m of messages) {
        const headers = { ...m.headers, ...(m.key === undefined ? {} : { [KEY_HEADER]: m.key }) };
        channel.sendToQueue(queue, Buffer.from(m.data), { headers, persistent: false });
      }
      await channel.waitForConfirms();
    },
    /** Reads `count` messages from `queue` with basic.get, acking them; content-type comes from the property. */
    async readBack(queue: string, count: number, timeoutMs: number): Promise<TestMessage[]> {
      const channel = await this.channel();
      const received: TestMessage[] = [];
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const message: GetMessage | false = await channel.get(queue, { noAck: true });
        if (message === false) {
          if (Date.now() > deadline) throw new Error(`read ${received.length} of ${count} messages from ${queue}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        const headers = headersToStrings(message.properties.headers);
        if (typeof message.properties.contentType === "string")
          headers["content-type"] = message.properties.contentType;
        const key = headers["ce-partitionkey"];
        received.push({ data: new Uint8Array(message.content), headers, ...(key === undefined ? {} : { key }) });
      }
      return received;
    },
    async close(): Promise<void> {
      if (connection) await (await connection).model.close();
    },
  };
}
