// The one file that talks to the Kafka driver (@platformatic/kafka). Everything else in the connector sees the small
// interfaces below, so changing the driver means changing this file and errors.ts (which matches its errors by shape).
import type { ConnectionOptions as TlsOptions } from "node:tls";
import {
  Admin,
  type BaseOptions,
  Consumer,
  compatibilityPartitioner,
  type Message,
  type MessagesStream,
  Producer,
  type SASLOptions,
  stringSerializer,
} from "@platformatic/kafka";
import type { Logger } from "pino";
import type { KafkaConnectionConfig, KafkaSinkConfig, KafkaSourceConfig } from "./config.js";

/** A consumed record as the driver hands it over: Buffers for key, value and headers, a bigint offset. */
export type KafkaIncomingMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** The stream of a consumer-group member's records (a Readable in object mode; pause/resume are the backpressure). */
export type KafkaMessageStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** One record to produce: the value's exact bytes, string headers and key, the event time in ms. */
export interface KafkaOutgoingRecord {
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly key?: string;
  readonly timestamp?: bigint;
}

export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  createTopics(topics: readonly string[], partitions: number, replicationFactor: number): Promise<void>;
  /** Partitions of each topic that has a leader for every partition (a topic still electing one is absent). */
  partitionsWithLeaders(topics: readonly string[]): Promise<Map<string, number>>;
  /** One topic-level config value (e.g. max.message.bytes) as the broker reports it, or undefined. */
  topicConfig(topic: string, name: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface KafkaProducer {
  /** Produces `records` to `topic` as one request (one record batch per partition); resolves on the acks. */
  send(topic: string, records: readonly KafkaOutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaGroupConsumer {
  /** Joins the group and starts fetching from the committed offsets (fallback: `fromBeginning`). */
  consume(): Promise<KafkaMessageStream>;
  /** Whether this member holds the partition now (a revoked partition's late commit would move its new owner back). */
  isAssigned(topic: string, partition: number): boolean;
  /** Called after each (re)join with the assigned partitions. */
  onJoin(listener: (join: { memberId: string; generationId: number; assignment: unknown }) => void): void;
  /** Called when the group membership fails for good (the consumer must be recreated). */
  onError(listener: (error: unknown) => void): void;
  close(): Promise<void>;
}

/** The driver's connection options from the connector's config (brokers, timeouts, TLS, SASL). */
function connectionOptions(config: KafkaConnectionConfig): Omit<BaseOptions, "clientId"> & { clientId: string } {
  const options: Omit<BaseOptions, "clientId"> & { clientId: string } = {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeout,
    timeout: config.requestTimeout,
  };
  if (config.tls.enabled) options.tls = tlsOptions(config.tls);
  const sasl = saslOptions(config.sasl);
  if (sasl !== undefined) options.sasl = sasl;
  return options;
}

function tlsOptions(tls: KafkaConnectionConfig["tls"]): TlsOptions {
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca ? { ca: [tls.ca] } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
  };
}

function saslOptions(sasl: KafkaConnectionConfig["sasl"]): SASLOptions | undefined {
  const credentials = { username: sasl.username, password: sasl.password };
  switch (sasl.mechanism) {
    case "plain":
      return { mechanism: "PLAIN", ...credentials };
    case "scram-sha-256":
      return { mechanism: "SCRAM-SHA-256", ...credentials };
    case "scram-sha-512":
      return { mechanism: "SCRAM-SHA-512", ...credentials };
    default:
      return undefined;
  }
}

/** Broker connections coming and going are routine (the driver reconnects): debug lines only. */
function logConnections(client: Admin | Producer | Consumer, logger: Logger): void {
  client.on("client:broker:disconnect", (event) => logger.debug({ broker: event.broker }, "kafka broker disconnected"));
  client.on("client:broker:failed", (event) =>
    logger.debug({ broker: event.broker }, "kafka broker connection failed"),
  );
}

export function createKafkaAdmin(config: KafkaConnectionConfig, logger: Logger): KafkaAdmin {
  const admin = new Admin(connectionOptions(config));
  logConnections(admin, logger);
  return {
    listTopics: () => admin.listTopics(),
    async createTopics(topics, partitions, replicationFactor) {
      await admin.createTopics({ topics: [...topics], partitions, replicas: replicationFactor });
    },
    async partitionsWithLeaders(topics) {
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
      const ready = new Map<string, number>();
      for (const [name, topic] of metadata.topics) {
        if (topic.partitions.every((partition) => partition.leader >= 0)) ready.set(name, topic.partitionsCount);
      }
      return ready;
    },
    async topicConfig(topic, name) {
      const [description] = await admin.describeConfigs({
        // 2 = TOPIC in Kafka's DescribeConfigs resource types.
        resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [name] }],
      });
      return description?.configs.find((entry) => entry.name === name)?.value ?? undefined;
    },
    close: () => admin.close(),
  };
}

export function createKafkaProducer(config: KafkaSinkConfig, logger: Logger): KafkaProducer {
  const producer = new Producer<string, Buffer, string, string>({
    ...connectionOptions(config),
    // Idempotent: the broker drops a retried batch it already has; the driver then keeps one request in flight.
    idempotent: true,
    acks: -1,
    // The driver's idempotent producer retries forever when given fewer than 2: never let it (sendTimeout would
    // fail the send while the driver went on retrying it in the background).
    retries: Math.max(2, config.retries),
    autocreateTopics: config.allowAutoTopicCreation,
    compression: config.compression === "gzip" ? "gzip" : "none",
    // Java's (and kafkajs's) key hashing, so a key lands on the same partition as with other producers.
    partitioner: (message, key) => compatibilityPartitioner(message, key),
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  logConnections(producer as unknown as Producer, logger);
  return {
    async send(topic, records) {
      await producer.send({
        messages: records.map((record) => ({
          topic,
          value: record.value,
          headers: record.headers as Record<string, string>,
          ...(record.key === undefined ? {} : { key: record.key }),
          ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }),
        })),
      });
    },
    close: () => producer.close(),
  };
}

export function createKafkaConsumer(config: KafkaSourceConfig, logger: Logger): KafkaGroupConsumer {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    ...connectionOptions(config),
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeout,
    // The driver refuses a rebalance timeout below the session timeout.
    rebalanceTimeout: Math.max(config.sessionTimeout, 60_000),
    heartbeatInterval: config.heartbeatInterval,
    maxWaitTime: config.fetchMaxWait,
    // Offsets are committed by the source, only up to what is durable (contiguous-offsets.ts).
    autocommit: false,
    retryDelay: config.restartBackoff.initial,
  });
  logConnections(consumer as unknown as Consumer, logger);
  return {
    consume: () =>
      consumer.consume({
        topics: [...config.topics],
        mode: "committed",
        fallbackMode: config.fromBeginning ? "earliest" : "latest",
        autocommit: false,
        maxWaitTime: config.fetchMaxWait,
        // kafkajs's sizes: a fetch brings at most 10 MiB, 1 MiB per partition (the driver's 50 MiB default makes
        // one response hold a whole backlog, decoded at once while deliveries wait).
        maxBytes: 10 * 1024 * 1024,
        maxBytesPerPartition: 1024 * 1024,
        highWaterMark: Math.max(64, Math.min(config.maxInFlight, 1024)),
      }),
    isAssigned(topic, partition) {
      return (consumer.assignments ?? []).some((a) => a.topic === topic && a.partitions.includes(partition));
    },
    onJoin(listener) {
      consumer.on("consumer:group:join", (event) =>
        listener({ memberId: event.memberId, generationId: event.generationId ?? 0, assignment: event.assignments }),
      );
    },
    onError(listener) {
      consumer.on("error", listener);
    },
    close: () => consumer.close(true),
  };
}
