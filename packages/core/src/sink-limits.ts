import type { Sink } from "./connector.js";
import type { Envelope } from "./envelope.js";

/**
 * What a sink can publish, in bytes as its `sizeOf` counts them. The runtime and the ingress routes read these;
 * the sink itself enforces them in `send` (see `publishInBatches`).
 */
export interface SinkLimits {
  /**
   * The largest single event the sink can ever publish: an upper bound over all its destinations (a topic template
   * may reach topics with smaller limits, which `send` enforces per event). A larger event fails with
   * MESSAGE_TOO_LARGE and is never retried; an ingress route answers 413 for an event larger than every one of its
   * targets' `maxMessageBytes`.
   */
  readonly maxMessageBytes: number;
  /** Most events in one broker request (Kafka produce, SQS SendMessageBatch, Pub/Sub Publish, AMQP confirms). */
  readonly maxBatchMessages: number;
  /** Most bytes (sum of `sizeOf`) in one broker request. */
  readonly maxBatchBytes: number;
}

/**
 * The limits of a sink that declares none (a custom sink written before limits existed): no per-event bound, no
 * byte bound per request, 100 events per request (the runtime's batch size before limits existed).
 */
export const UNDECLARED_SINK_LIMITS: SinkLimits = Object.freeze({
  maxMessageBytes: Number.POSITIVE_INFINITY,
  maxBatchMessages: 100,
  maxBatchBytes: Number.POSITIVE_INFINITY,
});

/** The sink's current limits, or UNDECLARED_SINK_LIMITS when it declares none. */
export function sinkLimitsOf(sink: Sink): SinkLimits {
  return typeof sink.limits === "function" ? sink.limits() : UNDECLARED_SINK_LIMITS;
}

/** The bytes `envelope` counts against the sink's limits: its own `sizeOf`, else the payload's length. */
export function sinkSizeOf(sink: Sink, envelope: Envelope): number {
  return typeof sink.sizeOf === "function" ? sink.sizeOf(envelope) : envelope.data.byteLength;
}

/**
 * Bytes of the payload plus every header name and value (UTF-8): what brokers that count headers/attributes
 * against their message limit (Pub/Sub, SQS, Kafka records) see, give or take their fixed framing.
 */
export function payloadAndHeadersSize(envelope: Envelope, headers: Readonly<Record<string, string>>): number {
  let size = envelope.data.byteLength;
  for (const [name, value] of Object.entries(headers)) size += Buffer.byteLength(name) + Buffer.byteLength(value);
  return size;
}
