import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { requireBrokers, uniqueName } from "../src/index.js";

describe("sqs (ElasticMQ) smoke", () => {
  let sqs: SQSClient;
  before(() => {
    const brokers = requireBrokers("sqs");
    sqs = new SQSClient({
      endpoint: brokers.sqsEndpoint,
      region: brokers.sqsRegion,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
  });
  after(() => sqs.destroy());

  it("creates a FIFO queue, sends, receives, deletes, and keeps the body and attributes", async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${uniqueName("smoke")}.fifo`,
        Attributes: { FifoQueue: "true", ContentBasedDeduplication: "false" },
      }),
    );
    assert.ok(QueueUrl);
    const body = '{"id":"evt-1","amount":"€12"}';
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageGroupId: "customer-1",
        MessageDeduplicationId: "evt-1",
        MessageAttributes: { "ce-type": { DataType: "String", StringValue: "order.created" } },
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 5,
        MaxNumberOfMessages: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId"],
      }),
    );
    const message = received.Messages?.[0];
    assert.equal(message?.MessageId, sent.MessageId);
    assert.equal(message?.Body, body);
    assert.equal(message?.MessageAttributes?.["ce-type"]?.StringValue, "order.created");
    assert.equal(message?.Attributes?.MessageGroupId, "customer-1");
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, "0");
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible, "0");
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  });
});
