import type { SourceMessage } from "@hookyard/core";
import type { IHeaders, KafkaMessage } from "kafkajs";

export interface KafkaCoordinates {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

/**
 * What the mapping sees of one Kafka message: the value's exact bytes (copied out of the fetch buffer), headers as
 * UTF-8 strings, and the broker's id/key/time plus the de-duplication key `kafka:<group>:<topic>:<partition>:<offset>`.
 */
export function toSourceMessage(message: KafkaMessage, at: KafkaCoordinates, source: string): SourceMessage {
  const key = message.key === null || message.key === undefined ? undefined : message.key.toString("utf8");
  const timestamp = Number(message.timestamp);
  return {
    data: message.value === null ? new Uint8Array(0) : new Uint8Array(message.value),
    headers: headersToStrings(message.headers),
    source,
    defaults: {
      id: `${at.topic}-${at.partition}-${message.offset}`,
      ...(key === undefined ? {} : { key }),
      ...(Number.isFinite(timestamp) && timestamp > 0 ? { time: new Date(timestamp) } : {}),
      idempotencyKey: `kafka:${at.groupId}:${at.topic}:${at.partition}:${message.offset}`,
    },
  };
}

/** Kafka headers are bytes and may repeat; repeated values are joined with ", " as HTTP does. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    result[name] = values.map((value) => (typeof value === "string" ? value : value.toString("utf8"))).join(", ");
  }
  return result;
}
