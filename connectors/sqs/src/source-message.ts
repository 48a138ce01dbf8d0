import type { Message } from "@aws-sdk/client-sqs";
import type { SourceMessage } from "@hookyard/core";
import { attributesToHeaders } from "./attributes.js";

/**
 * The broker-neutral view of one SQS message, given its decoded payload: attributes as headers, the MessageId
 * as id, the FIFO MessageGroupId as key, SentTimestamp as time, and `sqs:<queue>:<MessageId>` as idempotency key.
 */
export function toSourceMessage(
  message: Message,
  data: Uint8Array,
  sourceId: string,
  queueName: string,
): SourceMessage {
  const id = message.MessageId ?? "";
  const group = message.Attributes?.MessageGroupId;
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    data,
    headers: attributesToHeaders(message.MessageAttributes),
    source: `sqs:${sourceId}`,
    defaults: {
      ...(id === "" ? {} : { id, idempotencyKey: `sqs:${queueName}:${id}` }),
      ...(group === undefined || group === "" ? {} : { key: group }),
      ...(Number.isFinite(sent) && sent > 0 ? { time: new Date(sent) } : {}),
    },
  };
}
