import type { Schema } from "convict";

/** How Hookyard connects to Kafka: shared by the source and the sink. */
export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
  tls: {
    enabled: boolean;
    ca: string;
    cert: string;
    key: string;
    rejectUnauthorized: boolean;
  };
  sasl: {
    mechanism: "none" | "plain" | "scram-sha-256" | "scram-sha-512";
    username: string;
    password: string;
  };
}

export interface KafkaSourceConfig extends KafkaConnectionConfig {
  topics: string[];
  groupId: string;
  fromBeginning: boolean;
  createTopics: { enabled: boolean; partitions: number; replicationFactor: number };
  maxInFlight: number;
  maxMessageBytes: number;
  partitionsConsumedConcurrently: number;
  sessionTimeout: number;
  heartbeatInterval: number;
  fetchMaxWait: number;
  commitInterval: number;
  retryBackoff: { initial: number; max: number };
  restartBackoff: { initial: number; max: number };
}

export interface KafkaSinkConfig extends KafkaConnectionConfig {
  topic: string;
  allowAutoTopicCreation: boolean;
  maxMessageBytes: number;
  maxBatchMessages: number;
  compression: "none" | "gzip";
  sendTimeout: number;
  retries: number;
}

const connectionSchema: Schema<KafkaConnectionConfig> = {
  brokers: {
    doc: 'Bootstrap brokers as host:port, e.g. ["kafka-1:9092", "kafka-2:9092"].',
    format: Array,
    default: ["127.0.0.1:9092"],
  },
  clientId: {
    doc: "Client id sent to the brokers (shows in broker logs and quotas).",
    format: String,
    default: "hookyard",
  },
  connectionTimeout: { doc: "Time to wait for a TCP/TLS connection to a broker.", format: "duration", default: 3000 },
  requestTimeout: { doc: "Time to wait for a broker to answer a request.", format: "duration", default: 30000 },
  tls: {
    enabled: { doc: "Connect with TLS.", format: Boolean, default: false },
    ca: {
      doc: "PEM of the CA that signed the brokers' certificates (empty: the system CAs).",
      format: String,
      default: "",
    },
    cert: { doc: "PEM client certificate for mutual TLS (empty: none).", format: String, default: "" },
    key: { doc: "PEM private key of the client certificate.", format: String, default: "", sensitive: true },
    rejectUnauthorized: {
      doc: "Refuse brokers whose certificate does not verify. Turn off only for a test cluster.",
      format: Boolean,
      default: true,
    },
  },
  sasl: {
    mechanism: {
      doc: "SASL mechanism: none, plain, scram-sha-256 or scram-sha-512.",
      format: ["none", "plain", "scram-sha-256", "scram-sha-512"],
      default: "none",
    },
    username: { doc: "SASL user name.", format: String, default: "" },
    password: { doc: "SASL password.", format: String, default: "", sensitive: true },
  },
};

export const kafkaSourceSchema: Schema<KafkaSourceConfig> = {
  ...connectionSchema,
  topics: { doc: "Topics to consume (at least one).", format: Array, default: [] },
  groupId: {
    doc: "Consumer group id. Every Hookyard instance with the same group shares the partitions; offsets are committed under it.",
    format: String,
    default: "hookyard",
  },
  fromBeginning: {
    doc: "Where a group with no committed offset starts: true = the oldest message, false = only new messages.",
    format: Boolean,
    default: false,
  },
  createTopics: {
    enabled: {
      doc: "Create missing topics at start (opt-in; otherwise a missing topic is an error).",
      format: Boolean,
      default: false,
    },
    partitions: { doc: "Partitions of a topic Hookyard creates.", format: "nat", default: 1 },
    replicationFactor: { doc: "Replication factor of a topic Hookyard creates.", format: "nat", default: 1 },
  },
  maxInFlight: {
    doc: "Most messages handed to the gateway and not yet durable, across all partitions. At the cap, fetching waits.",
    format: "nat",
    default: 256,
  },
  maxMessageBytes: {
    doc: "Messages with a larger value are dead-lettered instead of delivered.",
    format: "size",
    default: 1048576,
  },
  partitionsConsumedConcurrently: {
    doc:
      "Deprecated, has no effect: every assigned partition is fetched and processed at the same time, bounded by " +
      "maxInFlight (the key stays accepted so existing configs keep validating).",
    format: "nat",
    default: 8,
  },
  sessionTimeout: { doc: "Consumer group session timeout.", format: "duration", default: 30000 },
  heartbeatInterval: { doc: "Consumer group heartbeat interval.", format: "duration", default: 3000 },
  fetchMaxWait: {
    doc: "Longest a fetch waits on the broker for new messages (also bounds how long stop() waits for a fetch).",
    format: "duration",
    default: 1000,
  },
  commitInterval: {
    doc: "How often completed offsets are committed while a batch is being processed (always at batch end).",
    format: "duration",
    default: 1000,
  },
  retryBackoff: {
    initial: {
      doc: "First wait before retrying a message whose delivery failed retryably (e.g. Redis down); doubles each try.",
      format: "duration",
      default: 200,
    },
    max: { doc: "Longest wait between retries of one message.", format: "duration", default: 30000 },
  },
  restartBackoff: {
    initial: { doc: "First wait before restarting the consumer after it crashed.", format: "duration", default: 1000 },
    max: { doc: "Longest wait between consumer restarts.", format: "duration", default: 60000 },
  },
};

export const kafkaSinkSchema: Schema<KafkaSinkConfig> = {
  ...connectionSchema,
  topic: {
    doc: 'Topic to publish to. May use {type}, {source} and {subject} from the event, e.g. "webhooks.{type}".',
    format: String,
    default: null as unknown as string,
  },
  allowAutoTopicCreation: {
    doc: "Let the broker auto-create a missing topic on publish (when the broker allows it). Off: a missing topic fails.",
    format: Boolean,
    default: false,
  },
  maxMessageBytes: {
    doc:
      "Largest record batch sent, in bytes (an event's payload, headers and key plus Kafka's framing). The topic's " +
      "own max.message.bytes, read from the broker, applies when it is smaller; this value stands in when the broker " +
      "does not say (describe-configs refused). Batches are kept under it; an event over it on its own fails " +
      "permanently with its size and the limit named. The default is Kafka's default limit.",
    format: "size",
    default: 1048576,
  },
  maxBatchMessages: {
    doc: "Most events sent in one batch (one produce request) to a topic.",
    format: "nat",
    default: 500,
  },
  compression: { doc: "Compression of produced batches: none or gzip.", format: ["none", "gzip"], default: "none" },
  sendTimeout: {
    doc: "Longest a send waits for the brokers' acknowledgement before it fails (retryably).",
    format: "duration",
    default: 30000,
  },
  retries: {
    doc: "Producer retries of a failed request before the send fails (at least 2: smaller values count as 2).",
    format: "nat",
    default: 5,
  },
};
