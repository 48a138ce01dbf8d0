import type { SourceMessage } from "@hookyard/core";
import type { KafkaIncomingMessage } from "./client.js";

export interface KafkaCoordinates {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

/**
 * What the mapping sees of one Kafka message: the value's exact bytes (copied out of the fetch buffer), headers as
 * UTF-8 strings, and the broker's id/key/time plus the de-duplication key `kafka:<group>:<topic>:<partition>:<offset>`.
 */
export function toSourceMessage(message: KafkaIncomingMessage, groupId: string, source: string): SourceMessage {
  const key = message.key === undefined || message.key === null ? undefined : message.key.toString("utf8");
  const timestamp = Number(message.timestamp);
  const at = `${message.topic}:${message.partition}:${message.offset}`;
  return {
    data: message.value === undefined || message.value === null ? new Uint8Array(0) : new Uint8Array(message.value),
    headers: headersToStrings(message.headerEntries),
    source,
    defaults: {
      id: `${message.topic}-${message.partition}-${message.offset}`,
      ...(key === undefined ? {} : { key }),
      ...(Number.isFinite(timestamp) && timestamp > 0 ? { time: new Date(timestamp) } : {}),
      idempotencyKey: `kafka:${groupId}:${at}`,
    },
  };
}

/** Kafka headers are bytes and may repeat; repeated values are joined with ", " as HTTP does. */
export function headersToStrings(entries: readonly (readonly [Buffer, Buffer])[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [rawName, rawValue] of entries) {
    if (rawName === undefined || rawName === null) continue;
    const name = rawName.toString("utf8");
    const value = rawValue === undefined || rawValue === null ? "" : rawValue.toString("utf8");
    const previous = result[name];
    result[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return result;
}
