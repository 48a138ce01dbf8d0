import type { Schema } from "convict";
import { integerBetween, nonEmptyString, optionalHostPort, optionalString } from "./formats.js";

/** How the connector reaches Pub/Sub: the emulator (plain gRPC, no credentials) or Google Cloud. */
export interface PubSubConnectionConfig {
  projectId: string;
  emulatorHost: string | null;
  apiEndpoint: string | null;
  credentialsFile: string | null;
  credentialsJson: string | null;
}

export interface PubSubSourceConfig extends PubSubConnectionConfig {
  subscription: string;
  create: { enabled: boolean; topic: string | null; messageOrdering: boolean; ackDeadline: number };
  maxInFlight: number;
  maxInFlightBytes: number;
  maxMessageBytes: number;
  maxExtension: number;
  streams: number;
  stopTimeout: number;
}

export interface PubSubSinkConfig extends PubSubConnectionConfig {
  topic: string;
  create: boolean;
  messageOrdering: boolean;
  maxMessageBytes: number;
  batching: { maxMessages: number; maxDelay: number; maxBytes: number };
  publishTimeout: number;
}

const connectionSchema: Schema<PubSubConnectionConfig> = {
  projectId: {
    doc: "Google Cloud project that owns the topic/subscription. Always set it: the connector never asks a metadata server.",
    format: nonEmptyString,
    default: null,
  },
  emulatorHost: {
    doc: 'Pub/Sub emulator address "host:port" (e.g. 127.0.0.1:8085). When set, the connector talks plain gRPC to it only, with no credentials, and never contacts Google.',
    format: optionalHostPort,
    default: null,
    nullable: true,
  },
  apiEndpoint: {
    doc: "Pub/Sub API endpoint, e.g. a regional one (europe-west1-pubsub.googleapis.com). Unset: the global endpoint. Ignored with emulatorHost.",
    format: optionalString,
    default: null,
    nullable: true,
  },
  credentialsFile: {
    doc: "Path of a service account key file (JSON). Unset (and no credentialsJson): Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity).",
    format: optionalString,
    default: null,
    nullable: true,
  },
  credentialsJson: {
    doc: "A service account key as JSON text, e.g. filled in from an environment variable. Takes precedence over credentialsFile.",
    format: optionalString,
    default: null,
    nullable: true,
    sensitive: true,
  },
};

export const pubsubSourceSchema: Schema<PubSubSourceConfig> = {
  ...connectionSchema,
  subscription: {
    doc: 'Subscription to consume: a name in projectId or a full "projects/<p>/subscriptions/<s>". Turn on message ordering on it for per-key order.',
    format: nonEmptyString,
    default: null,
  },
  create: {
    enabled: {
      doc: "Create the subscription (and its topic) at start when missing. Off by default: creating is never implied.",
      format: Boolean,
      default: false,
    },
    topic: {
      doc: "Topic the created subscription reads (required with create.enabled).",
      format: optionalString,
      default: null,
      nullable: true,
    },
    messageOrdering: {
      doc: "Enable message ordering on the created subscription (per ordering key, one at a time).",
      format: Boolean,
      default: true,
    },
    ackDeadline: {
      doc: "Ack deadline of the created subscription (10s to 600s); the client extends leases while deliveries run.",
      format: "duration",
      default: 60_000,
    },
  },
  maxInFlight: {
    doc: "Most messages handed to the gateway and not yet acked/nacked (the client's flow control: no more are pulled at the cap).",
    format: integerBetween(1, 10_000),
    default: 128,
  },
  maxInFlightBytes: {
    doc: "Most payload bytes held by the client's flow control at once.",
    format: "size",
    default: 64 * 1024 * 1024,
  },
  maxMessageBytes: {
    doc: "Larger payloads are dead-lettered (poison) instead of delivered.",
    format: "size",
    default: 10 * 1024 * 1024,
  },
  maxExtension: {
    doc: "How long the client keeps extending a message's lease while its delivery is still running; after that Pub/Sub may redeliver it.",
    format: "duration",
    default: 3_600_000,
  },
  streams: {
    doc: "Concurrent StreamingPull streams.",
    format: integerBetween(1, 16),
    default: 1,
  },
  stopTimeout: {
    doc: "On stop, how long to wait for the final acks/nacks to reach Pub/Sub (in-flight deliveries are always awaited first).",
    format: "duration",
    default: 10_000,
  },
};

export const pubsubSinkSchema: Schema<PubSubSinkConfig> = {
  ...connectionSchema,
  topic: {
    doc: 'Topic to publish to: a name in projectId or a full "projects/<p>/topics/<t>".',
    format: nonEmptyString,
    default: null,
  },
  create: {
    doc: "Create the topic at the first send when missing. Off by default: creating is never implied.",
    format: Boolean,
    default: false,
  },
  messageOrdering: {
    doc: "Publish envelopes that have a key with it as the ordering key (in order per key; a failed key is resumed after the failure is reported).",
    format: Boolean,
    default: true,
  },
  maxMessageBytes: {
    doc: "Events whose message (data + attributes + ordering key) is larger fail for good (MESSAGE_TOO_LARGE, naming both sizes) without being sent, and an ingress route whose only targets cannot take an event answers 413. Pub/Sub's own limit is 10 MB per message and per Publish request; a lower limit it states when refusing a request (an emulator's gRPC limit) is learned.",
    format: "size",
    default: 10 * 1024 * 1024 - 64 * 1024,
  },
  batching: {
    maxMessages: { doc: "Most messages per Publish request.", format: integerBetween(1, 1000), default: 100 },
    maxDelay: { doc: "Longest a message waits for its Publish request to fill.", format: "duration", default: 10 },
    maxBytes: {
      doc: "Most bytes per Publish request (the client library caps it at 9 MiB). A request Pub/Sub refuses for its size is sent again in smaller ones.",
      format: "size",
      default: 1024 * 1024,
    },
  },
  publishTimeout: {
    doc: "Deadline of one Publish request (the client retries transient failures within it).",
    format: "duration",
    default: 60_000,
  },
};
