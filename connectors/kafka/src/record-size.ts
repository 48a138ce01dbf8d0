import type { KafkaOutgoingRecord } from "./client.js";

/** Bytes of a record batch's header (v2 format: base offset, length, epoch, magic, CRC, … record count). */
export const BATCH_OVERHEAD_BYTES = 61;
/**
 * What a record may take in a batch beyond its size alone: its timestamp and offset deltas are then varints of up
 * to 10 and 5 bytes instead of 1 each.
 */
const DELTA_SLACK_BYTES = 13;

/**
 * The exact size of `record` alone in a v2 record batch, uncompressed: what the broker compares with the topic's
 * `max.message.bytes` (the whole batch counts, header included).
 */
export function singleRecordBatchBytes(record: KafkaOutgoingRecord): number {
  let body = 3; // attributes, timestamp delta 0, offset delta 0
  body += record.key === undefined ? 1 : lengthPrefixed(Buffer.byteLength(record.key));
  body += lengthPrefixed(record.value.byteLength);
  const names = Object.keys(record.headers);
  body += varintBytes(names.length);
  for (const name of names) {
    body += lengthPrefixed(Buffer.byteLength(name)) + lengthPrefixed(Buffer.byteLength(record.headers[name] ?? ""));
  }
  return BATCH_OVERHEAD_BYTES + varintBytes(body) + body;
}

/** What `record` adds to a batch of several (an upper bound). */
export function recordInBatchBytes(record: KafkaOutgoingRecord): number {
  return singleRecordBatchBytes(record) - BATCH_OVERHEAD_BYTES + DELTA_SLACK_BYTES;
}

function lengthPrefixed(length: number): number {
  return varintBytes(length) + length;
}

/** Length of Kafka's zig-zag varint of a non-negative int. */
function varintBytes(value: number): number {
  let zigzag = value * 2;
  let bytes = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    bytes += 1;
  }
  return bytes;
}

/**
 * Packs items, in order, into chunks of at most `maxCount` whose batch size stays within `maxBytes`. Every item
 * must fit alone (callers set those aside first).
 */
export function packChunks<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number,
  maxCount: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = BATCH_OVERHEAD_BYTES;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = BATCH_OVERHEAD_BYTES;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
