import { uniqueName } from "@hookyard/test-brokers";
import { Admin, Consumer, compatibilityPartitioner, Producer, stringSerializer } from "@platformatic/kafka";

/** A record read back from a topic: value bytes, headers and key as strings. */
export interface ReadRecord {
  readonly value: Buffer;
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** One record to publish: string headers and key, the value's bytes. */
export interface PublishRecord {
  readonly value: Buffer | string;
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The suites' own Kafka client (@platformatic/kafka, independent of the connector's client.ts): an admin, an
 * idempotent producer (acks from all replicas, Java's key hashing) and a reader that collects records until told.
 */
export function kafkaTestClient(bootstrapBrokers: readonly string[], clientId = "hookyard-e2e") {
  const base = { clientId, bootstrapBrokers: [...bootstrapBrokers], retries: 30, retryDelay: 200 };
  const admin = new Admin(base);
  let producer: Producer<string, Buffer, string, string> | undefined;
  return {
    admin,
    async createTopic(topic: string, partitions = 1): Promise<void> {
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      // A new topic has no leader for a moment: wait until every partition has one.
      for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
        if (metadata?.topics.get(topic)?.partitions.every((p) => p.leader >= 0)) return;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    async publish(topic: string, records: readonly PublishRecord[]): Promise<void> {
      producer ??= new Producer({
        ...base,
        idempotent: true,
        partitioner: (message, key) => compatibilityPartitioner(message, key),
        serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      });
      await producer.send({
        messages: records.map((record) => ({
          topic,
          value: Buffer.from(record.value),
          headers: { ...record.headers },
          ...(record.key === undefined ? {} : { key: record.key }),
        })),
      });
    },
    /** Reads `topic` from its start with a throwaway group until `done(records so far)` says so. */
    async readUntil(topic: string, done: (records: readonly ReadRecord[]) => boolean, timeoutMs: number) {
      const consumer = new Consumer({ ...base, groupId: uniqueName("e2e-read"), maxWaitTime: 100 });
      const records: ReadRecord[] = [];
      try {
        const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`read ${records.length} records, not done`)), timeoutMs);
          stream.on("error", reject);
          stream.on("data", (message) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of message.headerEntries) headers[name.toString()] = value.toString();
            records.push({ value: message.value ?? Buffer.alloc(0), key: message.key?.toString(), headers });
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        await stream.close();
      } finally {
        await consumer.close(true);
      }
      return records;
    },
    async deleteTopic(topic: string): Promise<void> {
      await admin.deleteTopics({ topics: [topic] });
    },
    async deleteGroup(groupId: string): Promise<void> {
      await admin.deleteGroups({ groups: [groupId] });
    },
    async close(): Promise<void> {
      await producer?.close();
      await admin.close();
    },
  };
}
