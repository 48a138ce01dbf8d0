import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { configError } from "@hookyard/core";
import type { SqsConnectionConfig } from "./config.js";
import { isQueueMissing, translateSqsError } from "./errors.js";

/** What the connector needs to know about its queue. */
export interface QueueInfo {
  readonly url: string;
  readonly name: string;
  readonly fifo: boolean;
  readonly hasRedrivePolicy: boolean;
  /** The queue's MaximumMessageSize in bytes, when SQS says (SQS-compatible servers may not). */
  readonly maxMessageBytes?: number;
}

export function queueNameOf(config: SqsConnectionConfig): string {
  if (config.queueName !== null) return config.queueName;
  if (config.queueUrl !== null) return config.queueUrl.replace(/\/+$/, "").split("/").pop() ?? config.queueUrl;
  throw configError("sqs: set queueUrl or queueName");
}

/**
 * Finds the queue (GetQueueUrl by name, or the given URL), creating it first when `create` is set, and reads its
 * attributes. A missing queue is a clear, non-retryable error; an unreachable SQS a retryable one.
 */
export async function resolveQueue(client: SQSClient, config: SqsConnectionConfig): Promise<QueueInfo> {
  const name = queueNameOf(config);
  const what = `queue ${config.queueUrl ?? name}`;
  let url = config.queueUrl;
  try {
    if (config.create) {
      const fifo = name.endsWith(".fifo");
      const created = await client.send(
        new CreateQueueCommand({ QueueName: name, ...(fifo ? { Attributes: { FifoQueue: "true" } } : {}) }),
      );
      url = created.QueueUrl ?? url;
    } else if (url === null) {
      url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? null;
    }
    if (url === null) throw configError(`sqs ${what}: no queue URL`);
    const { Attributes: attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["FifoQueue", "RedrivePolicy", "MaximumMessageSize"],
      }),
    );
    const maxMessageBytes = Number(attributes.MaximumMessageSize);
    return {
      url,
      name,
      fifo: attributes.FifoQueue === "true" || name.endsWith(".fifo"),
      hasRedrivePolicy: typeof attributes.RedrivePolicy === "string" && attributes.RedrivePolicy.length > 0,
      ...(Number.isInteger(maxMessageBytes) && maxMessageBytes > 0 ? { maxMessageBytes } : {}),
    };
  } catch (error) {
    if (isQueueMissing(error)) {
      throw configError(`sqs ${what} does not exist: create it or set create: true`, {
        queue: config.queueUrl ?? name,
      });
    }
    throw translateSqsError(error, what);
  }
}
