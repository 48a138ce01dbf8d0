import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type BrokerFixture, inChunks } from "./broker-fixture.js";

/**
 * A standard queue of its own on the shared ElasticMQ, sent to with @aws-sdk/client-sqs (SendMessageBatch of 10,
 * ce-id/ce-type as String attributes, bodies in base64 so any bytes round-trip). `endpoint` is where Hookyard
 * connects (e.g. a TCP proxy in front of ElasticMQ).
 */
export async function sqsFixture(
  options: { endpoint?: string; source?: Record<string, unknown> } = {},
): Promise<BrokerFixture & { readonly queueUrl: string }> {
  const { sqsEndpoint, sqsRegion } = requireBrokers("sqs");
  const client = new SQSClient({
    endpoint: sqsEndpoint,
    region: sqsRegion,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const name = uniqueName("e2e-sqs");
  const created = await client.send(new CreateQueueCommand({ QueueName: name }));
  const queueUrl = created.QueueUrl ?? "";
  const endpoint = options.endpoint ?? sqsEndpoint;
  return {
    name: "sqs",
    queueUrl,
    async publish(events) {
      await inChunks(events, 10, 16, async (chunk) => {
        const result = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((event, index) => ({
              Id: String(index),
              MessageBody: Buffer.from(event.data).toString("base64"),
              MessageAttributes: Object.fromEntries(
                Object.entries({ "ce-id": event.id, "ce-type": event.type, ...event.headers }).map(([key, value]) => [
                  key,
                  { DataType: "String", StringValue: value },
                ]),
              ),
            })),
          }),
        );
        if ((result.Failed ?? []).length > 0)
          throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.Failed)}`);
      });
    },
    source: (id = "sqs") => ({
      id,
      type: "sqs",
      config: {
        region: sqsRegion,
        endpoint,
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
        // The queue URL names ElasticMQ's own address; Hookyard talks to `endpoint` with the queue's name.
        queueName: name,
        bodyEncoding: "base64",
        maxInFlight: 200,
        receivers: 8,
        waitTime: "1s",
        // Messages a killed process had received come back after this.
        visibilityTimeout: "4s",
        retryBackoff: { initial: "200ms", max: "1s" },
        stopTimeout: "2s",
        ...options.source,
      },
    }),
    async cleanup() {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
      client.destroy();
    },
  };
}
