import { createHash } from "node:crypto";
import type { SourceMessage } from "@hookyard/core";
import type { ConsumeMessage } from "amqplib";

/** Headers the broker adds when it dead-letters a message: left out of the content hash so it stays stable. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

export interface AmqpMessageOptions {
  readonly source: string;
  readonly keyHeader: string;
  readonly routingKeyHeader: string;
}

/**
 * What the mapping sees of one AMQP message: the body's exact bytes, headers as strings (plus the routing key under
 * `routingKeyHeader` when configured), the content type, and the broker's id/key/time. The de-duplication key is
 * the AMQP message id when the publisher set one, else a SHA-256 of exchange, routing key, headers and body.
 */
export function toSourceMessage(message: ConsumeMessage, options: AmqpMessageOptions): SourceMessage {
  const { fields, properties } = message;
  const headers = headersToStrings(properties.headers);
  if (options.routingKeyHeader) headers[options.routingKeyHeader] = fields.routingKey;
  const data = new Uint8Array(message.content);
  const messageId = typeof properties.messageId === "string" && properties.messageId ? properties.messageId : undefined;
  const id = messageId ?? contentHash(fields.exchange, fields.routingKey, headers, data);
  const key = options.keyHeader ? headerValue(headers, options.keyHeader) : undefined;
  const seconds = typeof properties.timestamp === "number" ? properties.timestamp : undefined;
  const contentType =
    typeof properties.contentType === "string" && properties.contentType ? properties.contentType : undefined;
  return {
    data,
    headers,
    source: options.source,
    ...(contentType === undefined ? {} : { contentType }),
    defaults: {
      id,
      ...(key === undefined ? {} : { key }),
      ...(seconds === undefined ? {} : { time: new Date(seconds * 1000) }),
      idempotencyKey: messageId === undefined ? `amqp:sha256:${id}` : `amqp:id:${messageId}`,
    },
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** AMQP header values may be numbers, booleans, byte arrays, tables or lists: text as is, the rest as JSON. */
export function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === "string") result[name] = value;
    else if (Buffer.isBuffer(value)) result[name] = value.toString("utf8");
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
      result[name] = String(value);
    else result[name] = JSON.stringify(value);
  }
  return result;
}

function contentHash(exchange: string, routingKey: string, headers: Record<string, string>, data: Uint8Array): string {
  const hash = createHash("sha256");
  hash.update(`${exchange}\n${routingKey}\n`);
  for (const name of Object.keys(headers).sort()) {
    if (!BROKER_HEADERS.test(name)) hash.update(`${name}:${headers[name]}\n`);
  }
  hash.update("\n");
  hash.update(data);
  return hash.digest("hex");
}
