import type { Schema } from "convict";
import { integerBetween, nonEmptyString, optionalHttpUrl, optionalString } from "./formats.js";

export type BodyEncoding = "utf8" | "base64";

/** Where the queue is and how to reach it. */
export interface SqsConnectionConfig {
  region: string;
  endpoint: string | null;
  credentials: { accessKeyId: string | null; secretAccessKey: string | null; sessionToken: string | null };
  queueUrl: string | null;
  queueName: string | null;
  create: boolean;
  bodyEncoding: BodyEncoding;
  requestTimeout: number;
}

export interface SqsSourceConfig extends SqsConnectionConfig {
  maxInFlight: number;
  receivers: number;
  batchSize: number;
  waitTime: number;
  visibilityTimeout: number;
  retryBackoff: { initial: number; max: number };
  poison: "deadLetter" | "redrive";
  maxMessageBytes: number;
  stopTimeout: number;
}

export interface SqsSinkConfig extends SqsConnectionConfig {
  defaultGroupId: string;
  maxMessageBytes: number | null;
  maxBatchBytes: number | null;
}

const connectionSchema: Schema<SqsConnectionConfig> = {
  region: { doc: "AWS region of the queue.", format: nonEmptyString, default: "us-east-1" },
  endpoint: {
    doc: "SQS endpoint URL for an SQS-compatible server (ElasticMQ, LocalStack) or a VPC endpoint. Unset: AWS's own for the region.",
    format: optionalHttpUrl,
    default: null,
    nullable: true,
  },
  credentials: {
    accessKeyId: {
      doc: "AWS access key id. Unset: the SDK's default chain (environment, shared config, IAM role).",
      format: optionalString,
      default: null,
      nullable: true,
      sensitive: true,
    },
    secretAccessKey: {
      doc: "AWS secret access key (with accessKeyId).",
      format: optionalString,
      default: null,
      nullable: true,
      sensitive: true,
    },
    sessionToken: {
      doc: "AWS session token for temporary credentials.",
      format: optionalString,
      default: null,
      nullable: true,
      sensitive: true,
    },
  },
  queueUrl: {
    doc: "Queue URL. Set this or queueName.",
    format: optionalString,
    default: null,
    nullable: true,
  },
  queueName: {
    doc: 'Queue name, resolved with GetQueueUrl (a FIFO queue\'s name ends in ".fifo"). Set this or queueUrl.',
    format: optionalString,
    default: null,
    nullable: true,
  },
  create: {
    doc: "Create the queue (by queueName; FIFO when it ends in .fifo) when missing. Off by default: creating is never implied.",
    format: Boolean,
    default: false,
  },
  bodyEncoding: {
    doc: 'How payload bytes travel in the SQS body, which is text: "utf8" (payloads must be valid UTF-8 without characters SQS refuses) or "base64" (any bytes). Producer and consumer must agree.',
    format: ["utf8", "base64"],
    default: "utf8",
  },
  requestTimeout: {
    doc: "Longest one SQS request may take before it is abandoned and retried (long polls get waitTime on top).",
    format: "duration",
    default: 15_000,
  },
};

export const sqsSourceSchema: Schema<SqsSourceConfig> = {
  ...connectionSchema,
  maxInFlight: {
    doc: "Most messages received and not yet deleted or released; receiving stops at the cap.",
    format: integerBetween(1, 10_000),
    default: 100,
  },
  receivers: {
    doc: "Concurrent ReceiveMessage long polls (each asks for up to batchSize, never more than the free in-flight slots).",
    format: integerBetween(1, 32),
    default: 4,
  },
  batchSize: { doc: "MaxNumberOfMessages per ReceiveMessage.", format: integerBetween(1, 10), default: 10 },
  waitTime: {
    doc: "Long-poll wait of a ReceiveMessage (0 to 20s).",
    format: "duration",
    default: 20_000,
  },
  visibilityTimeout: {
    doc: "Visibility timeout asked for on receive; while a delivery is still running the message's visibility is extended by this much every half of it.",
    format: "duration",
    default: 30_000,
  },
  retryBackoff: {
    initial: {
      doc: "After a retryable reject the message becomes visible again after this delay, doubling with each receive (jittered).",
      format: "duration",
      default: 1000,
    },
    max: { doc: "Longest retry delay (at most 12h, SQS's visibility limit).", format: "duration", default: 300_000 },
  },
  poison: {
    doc: 'Poison messages (unmappable, too large, rejected for good): "deadLetter" hands them to Hookyard\'s dead-letter set and deletes them; "redrive" leaves them on the queue so its own redrive policy moves them to its DLQ after maxReceiveCount (the queue must have one).',
    format: ["deadLetter", "redrive"],
    default: "deadLetter",
  },
  maxMessageBytes: {
    doc: "Larger payloads (after base64 decoding) are poison.",
    format: "size",
    default: 256 * 1024,
  },
  stopTimeout: {
    doc: "On stop, how long to wait for the final deletes/releases to reach SQS (in-flight deliveries are always awaited first).",
    format: "duration",
    default: 10_000,
  },
};

export const sqsSinkSchema: Schema<SqsSinkConfig> = {
  ...connectionSchema,
  defaultGroupId: {
    doc: "FIFO queues: MessageGroupId of envelopes without a key (envelope.key is the group otherwise).",
    format: nonEmptyString,
    default: "hookyard",
  },
  maxMessageBytes: {
    doc: "Largest SQS message (body after encoding + attributes); a larger event fails for good (MESSAGE_TOO_LARGE) without being sent, and an ingress route whose only targets cannot take it answers 413. Unset: the queue's MaximumMessageSize, or 256 KiB when the queue does not say (SQS-compatible servers). A queue limit lower than this wins.",
    format: "size",
    default: null,
    nullable: true,
  },
  maxBatchBytes: {
    doc: "Most bytes in one SendMessageBatch (at most 10 messages). Unset: the message limit above (SQS counts a batch's total against it). A batch SQS still refuses as too long is split and sent again.",
    format: "size",
    default: null,
    nullable: true,
  },
};
