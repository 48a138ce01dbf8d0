// Shared by this package's tests: config from the real schema, and kafkajs clients for publishing/reading back.
import { registerConfigFormats } from "@hookyard/core";
import type { TestMessage } from "@hookyard/core/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import convict from "convict";
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { type KafkaSinkConfig, type KafkaSourceConfig, kafkaSinkSchema, kafkaSourceSchema } from "./config.js";

registerConfigFormats();

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

export function sourceConfig(partial: DeepPartial<KafkaSourceConfig>): KafkaSourceConfig {
  const config = convict(kafkaSourceSchema, { env: {}, args: [] });
  config.load({ brokers: [...requireBrokers("kafka").kafkaBrokers], ...partial });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

export function sinkConfig(partial: DeepPartial<KafkaSinkConfig>): KafkaSinkConfig {
  const config = convict(kafkaSinkSchema, { env: {}, args: [] });
  config.load({ brokers: [...requireBrokers("kafka").kafkaBrokers], ...partial });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

/** Fast settings for tests: short fetch waits and retry backoffs, read from the beginning. */
export function testSourceConfig(topic: string, groupId: string, partial: DeepPartial<KafkaSourceConfig> = {}) {
  return sourceConfig({
    topics: [topic],
    groupId,
    fromBeginning: true,
    fetchMaxWait: 100,
    heartbeatInterval: 500,
    sessionTimeout: 10000,
    commitInterval: 100,
    retryBackoff: { initial: 20, max: 200 },
    ...partial,
  });
}

/** One admin client and one producer per test file. */
export function createKafkaTestClients() {
  const kafka = new Kafka({
    brokers: [...requireBrokers("kafka").kafkaBrokers],
    clientId: "hookyard-test",
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  return {
    kafka,
    async admin(): Promise<Admin> {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      return admin;
    },
    async createTopic(prefix: string, partitions = 1): Promise<string> {
      const topic = uniqueName(prefix);
      await (await this.admin()).createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
      return topic;
    },
    async deleteTopic(topic: string): Promise<void> {
      await (await this.admin()).deleteTopics({ topics: [topic] }).catch(() => undefined);
    },
    async publish(topic: string, messages: readonly TestMessage[]): Promise<void> {
      if (!producer) {
        producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
      }
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({
          value: Buffer.from(m.data),
          headers: { ...m.headers },
          ...(m.key === undefined ? {} : { key: m.key }),
        })),
      });
    },
    /** Reads `count` messages from the start of `topic` with a throwaway group. */
    async readBack(topic: string, count: number, timeoutMs: number): Promise<TestMessage[]> {
      const consumer = kafka.consumer({ groupId: uniqueName("readback"), maxWaitTimeInMs: 100 });
      const received: TestMessage[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`read ${received.length} of ${count} messages`)), timeoutMs);
          void consumer.run({
            eachMessage: async ({ message }) => {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) {
                if (value !== undefined) headers[name] = String(value);
              }
              received.push({
                data: new Uint8Array(message.value ?? Buffer.alloc(0)),
                headers,
                ...(message.key ? { key: message.key.toString("utf8") } : {}),
              });
              if (received.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      return received;
    },
    async close(): Promise<void> {
      await producer?.disconnect();
      await admin?.disconnect();
    },
  };
}
