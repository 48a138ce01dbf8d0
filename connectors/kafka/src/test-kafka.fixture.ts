// Shared by this package's tests: config from the real schema, and a driver admin, producer and reader of their
// own (independent of the connector's client.ts) for publishing and reading back.
import { registerConfigFormats } from "@hookyard/core";
import type { TestMessage } from "@hookyard/core/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Admin, Consumer, compatibilityPartitioner, Producer, stringSerializer } from "@platformatic/kafka";
import convict from "convict";
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
  const bootstrapBrokers = [...requireBrokers("kafka").kafkaBrokers];
  const base = { clientId: "hookyard-test", bootstrapBrokers };
  const admin = new Admin(base);
  let producer: Producer<string, Buffer, string, string> | undefined;
  return {
    bootstrapBrokers,
    createTopic(prefix: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
      return this.createNamedTopic(uniqueName(prefix), partitions, configs);
    },
    async createNamedTopic(topic: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
      await admin.createTopics({
        topics: [topic],
        partitions,
        replicas: 1,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      });
      // A new topic has no leader for a moment: wait until every partition has one.
      for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
        if (metadata?.topics.get(topic)?.partitions.every((p) => p.leader >= 0)) return topic;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    async partitionCount(topic: string): Promise<number> {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitionsCount ?? 0;
    },
    async setTopicConfig(topic: string, name: string, value: string): Promise<void> {
      await admin.incrementalAlterConfigs({
        resources: [{ resourceType: 2, resourceName: topic, configs: [{ name, configOperation: 0, value }] }],
      });
    },
    /** How many records the topic holds (the sum of its partitions' end offsets; nothing is deleted in tests). */
    async recordCount(topic: string): Promise<number> {
      const partitions = [...Array(await this.partitionCount(topic)).keys()];
      const [entry] = await admin.listOffsets({
        // timestamp -1: the latest offset (the end of the partition).
        topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
      });
      return (entry?.partitions ?? []).reduce((sum, p) => sum + Number(p.offset), 0);
    },
    /** The group's committed offset per partition ("next to read"), -1 where none. */
    async committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
      const partitions = await this.partitionCount(topic);
      const [group] = await admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }] }],
      });
      const entry = group?.topics.find((t) => t.name === topic);
      return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partitionIndex, String(p.committedOffset)]));
    },
    async deleteTopic(topic: string): Promise<void> {
      await admin.deleteTopics({ topics: [topic] });
    },
    async publish(topic: string, messages: readonly TestMessage[]): Promise<void> {
      producer ??= new Producer({
        ...base,
        // Idempotent: a produce retried under load must not write its records twice.
        idempotent: true,
        partitioner: (message, key) => compatibilityPartitioner(message, key),
        serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      });
      await producer.send({
        acks: -1,
        messages: messages.map((m) => ({
          topic,
          value: Buffer.from(m.data),
          headers: { ...m.headers },
          ...(m.key === undefined ? {} : { key: m.key }),
        })),
      });
    },
    /** Reads `count` messages from the start of `topic` (no group offsets are committed). */
    async readBack(topic: string, count: number, timeoutMs: number): Promise<TestMessage[]> {
      const consumer = new Consumer({ ...base, groupId: uniqueName("readback"), maxWaitTime: 100 });
      const received: TestMessage[] = [];
      try {
        const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`read ${received.length} of ${count} messages`)), timeoutMs);
          stream.on("error", reject);
          stream.on("data", (message) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of message.headerEntries) headers[name.toString()] = value.toString();
            received.push({
              data: new Uint8Array(message.value ?? Buffer.alloc(0)),
              headers,
              ...(message.key ? { key: message.key.toString("utf8") } : {}),
            });
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        await stream.close();
      } finally {
        await consumer.close(true);
      }
      return received;
    },
    async close(): Promise<void> {
      await producer?.close();
      await admin.close();
    },
  };
}
