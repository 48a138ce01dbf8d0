import type { Message } from "@google-cloud/pubsub";
import type { SourceMessage } from "@hookyard/core";

/**
 * The broker-neutral view of one Pub/Sub message: exact bytes, attributes as headers, and the broker's own id,
 * ordering key and publish time for the mapping's `{ broker: … }` defaults. The idempotency key names the
 * subscription too: two subscriptions of one topic see the same message ids but are separate flows.
 */
export function toSourceMessage(message: Message, sourceId: string, subscription: string): SourceMessage {
  const data = new Uint8Array(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const key = message.orderingKey;
  return {
    data,
    headers: { ...message.attributes },
    source: `pubsub:${sourceId}`,
    defaults: {
      id: message.id,
      time: new Date(message.publishTime.getTime()),
      idempotencyKey: `pubsub:${subscription}:${message.id}`,
      ...(key === undefined || key === "" ? {} : { key }),
    },
  };
}
