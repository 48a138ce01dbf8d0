// Test helpers (not exported from the package): a private queue per test on ElasticMQ.
import { randomUUID } from "node:crypto";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { registerConfigFormats, type SourceContext } from "@hookyard/core";
import type { SinkHarness, SourceHarness, SourceOverrides, TestMessage } from "@hookyard/core/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import convict from "convict";
import { attributesToHeaders } from "./attributes.js";
import { decodeBody } from "./body-codec.js";
import {
  type BodyEncoding,
  type SqsSinkConfig,
  type SqsSourceConfig,
  sqsSinkSchema,
  sqsSourceSchema,
} from "./config.js";
import { createSqsSink } from "./sink.js";
import { createSqsSource } from "./source.js";

registerConfigFormats();

export interface SqsTestBroker {
  readonly endpoint: string;
  readonly region: string;
}

export function sqsTestBroker(): SqsTestBroker {
  const brokers = requireBrokers("sqs");
  return { endpoint: brokers.sqsEndpoint, region: brokers.sqsRegion };
}

// A function: the SDK annotates the credentials object it is given, so each use gets its own.
const credentials = () => ({ accessKeyId: "x", secretAccessKey: "x" });

export function testClient(broker: SqsTestBroker): SQSClient {
  return new SQSClient({ endpoint: broker.endpoint, region: broker.region, credentials: credentials() });
}

function load<T>(schema: convict.Schema<T>, broker: SqsTestBroker, values: Record<string, unknown>): T {
  const config = convict(schema, { env: {}, args: [] });
  config.load({ endpoint: broker.endpoint, region: broker.region, credentials: credentials(), ...values });
  config.validate({ allowed: "strict" });
  return config.getProperties();
}

/** A source config through the real schema, with short waits and backoffs for tests. */
export function sourceConfig(broker: SqsTestBroker, values: Record<string, unknown>): SqsSourceConfig {
  return load(sqsSourceSchema, broker, { waitTime: "1s", retryBackoff: { initial: "1s", max: "2s" }, ...values });
}

export function sinkConfig(broker: SqsTestBroker, values: Record<string, unknown>): SqsSinkConfig {
  return load(sqsSinkSchema, broker, values);
}

export interface SqsPlace {
  readonly client: SQSClient;
  readonly url: string;
  readonly name: string;
  /** Sends in order (chunks of 10, one after the other); FIFO messages are grouped by key. */
  publish(messages: readonly TestMessage[], encoding?: BodyEncoding): Promise<void>;
  /** Receives and deletes `count` messages with the SDK directly. */
  read(
    count: number,
    timeoutMs: number,
    encoding?: BodyEncoding,
  ): Promise<(TestMessage & { groupId?: string; dedupId?: string })[]>;
  cleanup(): Promise<void>;
}

export async function createPlace(
  broker: SqsTestBroker,
  {
    fifo = false,
    prefix = "hy",
    attributes = {},
  }: { fifo?: boolean; prefix?: string; attributes?: Record<string, string> } = {},
): Promise<SqsPlace> {
  const client = testClient(broker);
  const name = `${uniqueName(prefix)}${fifo ? ".fifo" : ""}`;
  const created = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { ...(fifo ? { FifoQueue: "true" } : {}), ...attributes } }),
  );
  const url = created.QueueUrl ?? "";
  return {
    client,
    url,
    name,
    async publish(messages, encoding = "base64") {
      for (let i = 0; i < messages.length; i += 10) {
        const chunk = messages.slice(i, i + 10);
        const response = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              MessageBody:
                encoding === "base64"
                  ? Buffer.from(message.data).toString("base64")
                  : new TextDecoder().decode(message.data),
              MessageAttributes: Object.fromEntries(
                Object.entries(message.headers).map(([key, value]): [string, MessageAttributeValue] => [
                  key,
                  { DataType: "String", StringValue: value },
                ]),
              ),
              ...(fifo
                ? {
                    MessageGroupId: message.key ?? message.headers["ce-id"] ?? "default",
                    MessageDeduplicationId: randomUUID(),
                  }
                : {}),
            })),
          }),
        );
        if ((response.Failed ?? []).length > 0) throw new Error(`publish failed: ${JSON.stringify(response.Failed)}`);
      }
    },
    async read(count, timeoutMs, encoding = "utf8") {
      const received: (TestMessage & { groupId?: string; dedupId?: string })[] = [];
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`read ${received.length} of ${count} messages`);
        const response = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: ["All"],
          }),
        );
        const messages = response.Messages ?? [];
        for (const message of messages) {
          const group = message.Attributes?.MessageGroupId;
          const dedup = message.Attributes?.MessageDeduplicationId;
          received.push({
            data: decodeBody(message.Body ?? "", encoding),
            headers: attributesToHeaders(message.MessageAttributes),
            ...(group === undefined ? {} : { key: group, groupId: group }),
            ...(dedup === undefined ? {} : { dedupId: dedup }),
          });
        }
        if (messages.length > 0) {
          await client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
        }
      }
      return received;
    },
    async cleanup() {
      await client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      client.destroy();
    },
  };
}

export async function sourceHarness(broker: SqsTestBroker, fifo: boolean): Promise<SourceHarness> {
  const place = await createPlace(broker, { fifo, prefix: "conf" });
  return {
    createSource: (context: SourceContext, overrides: SourceOverrides = {}) =>
      createSqsSource(
        sourceConfig(broker, {
          queueUrl: place.url,
          bodyEncoding: "base64",
          ...(overrides.maxInFlight === undefined ? {} : { maxInFlight: overrides.maxInFlight }),
          ...(overrides.maxMessageBytes === undefined ? {} : { maxMessageBytes: overrides.maxMessageBytes }),
        }),
        context,
      ),
    publish: (messages) => place.publish(messages, "base64"),
    cleanup: () => place.cleanup(),
  };
}

export async function sinkHarness(broker: SqsTestBroker, fifo: boolean): Promise<SinkHarness> {
  const place = await createPlace(broker, { fifo, prefix: "conf-sink" });
  return {
    createSink: (context) =>
      createSqsSink(sinkConfig(broker, { queueUrl: place.url, bodyEncoding: "base64" }), context),
    readBack: (count, timeoutMs) => place.read(count, timeoutMs, "base64"),
    // Nothing listens on port 1: every request is refused at once.
    createUnreachableSink: (context) =>
      createSqsSink(
        sinkConfig(broker, { endpoint: "http://127.0.0.1:1", queueUrl: place.url, requestTimeout: "2s" }),
        context,
      ),
    cleanup: () => place.cleanup(),
  };
}
