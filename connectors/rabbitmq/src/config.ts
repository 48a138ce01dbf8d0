import type { Schema } from "convict";

/** How Hookyard connects to RabbitMQ: shared by the source and the sink. */
export interface AmqpConnectionConfig {
  url: string;
  username: string;
  password: string;
  heartbeat: number;
  connectionTimeout: number;
  tls: { ca: string; cert: string; key: string; rejectUnauthorized: boolean };
  reconnect: { initialDelay: number; maxDelay: number; initialAttempts: number };
}

export interface AmqpSourceConfig extends AmqpConnectionConfig {
  queue: string;
  createQueue: { enabled: boolean; durable: boolean; deadLetterExchange: string };
  bindings: { exchange: string; routingKey: string }[];
  maxInFlight: number;
  maxMessageBytes: number;
  keyHeader: string;
  routingKeyHeader: string;
  poison: "ack" | "reject";
  retryBackoff: { initial: number; max: number };
}

export interface AmqpSinkConfig extends AmqpConnectionConfig {
  exchange: string;
  routingKey: string;
  persistent: boolean;
  maxMessageBytes: number;
  sendTimeout: number;
}

const connectionSchema: Schema<AmqpConnectionConfig> = {
  url: {
    doc: "AMQP URL: amqp://host:5672/vhost, or amqps:// for TLS. Credentials may be in it (or in username/password).",
    format: String,
    default: "amqp://127.0.0.1:5672",
    sensitive: true,
  },
  username: { doc: "User name; overrides one in the URL when set.", format: String, default: "" },
  password: { doc: "Password; overrides one in the URL when set.", format: String, default: "", sensitive: true },
  heartbeat: {
    doc: "AMQP heartbeat in seconds: a dead connection is noticed after about twice this.",
    format: "nat",
    default: 30,
  },
  connectionTimeout: {
    doc: "Time to wait for the TCP/TLS connection and handshake.",
    format: "duration",
    default: 10000,
  },
  tls: {
    ca: {
      doc: "PEM of the CA that signed the broker's certificate (amqps:// only; empty: system CAs).",
      format: String,
      default: "",
    },
    cert: { doc: "PEM client certificate for mutual TLS (empty: none).", format: String, default: "" },
    key: { doc: "PEM private key of the client certificate.", format: String, default: "", sensitive: true },
    rejectUnauthorized: {
      doc: "Refuse a broker whose certificate does not verify. Turn off only for a test broker.",
      format: Boolean,
      default: true,
    },
  },
  reconnect: {
    initialDelay: {
      doc: "First wait before reconnecting after the connection was lost.",
      format: "duration",
      default: 200,
    },
    maxDelay: {
      doc: "Longest wait between reconnect attempts (jittered, doubling).",
      format: "duration",
      default: 30000,
    },
    initialAttempts: {
      doc: "Connection attempts at start before start() fails; once connected, reconnecting never gives up.",
      format: "nat",
      default: 3,
    },
  },
};

export const amqpSourceSchema: Schema<AmqpSourceConfig> = {
  ...connectionSchema,
  queue: { doc: "Queue to consume.", format: String, default: null as unknown as string },
  createQueue: {
    enabled: {
      doc: "Declare the queue at start (opt-in; otherwise a missing queue is an error).",
      format: Boolean,
      default: false,
    },
    durable: { doc: "Whether a queue Hookyard declares survives a broker restart.", format: Boolean, default: true },
    deadLetterExchange: {
      doc: "x-dead-letter-exchange of a queue Hookyard declares (empty: none).",
      format: String,
      default: "",
    },
  },
  bindings: {
    doc: 'Exchange bindings to declare for the queue, e.g. [{ exchange: "events", routingKey: "order.#" }]. Empty: none are declared.',
    format: Array,
    default: [],
  },
  maxInFlight: {
    doc: "Prefetch: most messages handed to the gateway and not yet durable. The broker sends no more until some are acked.",
    format: "nat",
    default: 128,
  },
  maxMessageBytes: {
    doc: "Messages with a larger body are poison (dead-lettered) instead of delivered.",
    format: "size",
    default: 1048576,
  },
  keyHeader: {
    doc: "Header whose value is the event's ordering key (empty: none). Messages with the same key are delivered one at a time, in order.",
    format: String,
    default: "",
  },
  routingKeyHeader: {
    doc: 'Header name under which the routing key is passed to the mapping, e.g. "x-routing-key" so { header: "x-routing-key" } can be the type (empty: not passed).',
    format: String,
    default: "",
  },
  poison: {
    doc: "What happens on the broker to a poison message after Hookyard dead-lettered it: ack (removed) or reject (nack without requeue: the queue's own dead-letter exchange gets a copy).",
    format: ["ack", "reject"],
    default: "ack",
  },
  retryBackoff: {
    initial: {
      doc: "Wait before a message whose delivery failed retryably (e.g. Redis down) is requeued; doubles per redelivery.",
      format: "duration",
      default: 200,
    },
    max: { doc: "Longest wait before requeueing a message.", format: "duration", default: 30000 },
  },
};

export const amqpSinkSchema: Schema<AmqpSinkConfig> = {
  ...connectionSchema,
  exchange: {
    doc: 'Exchange to publish to ("" = the default exchange, where the routing key is a queue name). Must exist.',
    format: String,
    default: "",
  },
  routingKey: {
    doc: 'Routing key; may use {type}, {source}, {subject} and {key} from the event, e.g. "webhooks.{type}".',
    format: String,
    default: "{type}",
  },
  persistent: { doc: "Publish persistent messages (delivery mode 2).", format: Boolean, default: true },
  maxMessageBytes: {
    doc: "Events with a larger payload fail for good (MESSAGE_TOO_LARGE, naming both sizes) instead of being published, and an ingress route whose only targets cannot take an event answers 413. RabbitMQ's own max_message_size, once it refuses a message, lowers this.",
    format: "size",
    default: 16777216,
  },
  sendTimeout: {
    doc: "Longest a send waits for the broker's publisher confirms before the unconfirmed events fail (retryably).",
    format: "duration",
    default: 30000,
  },
};
