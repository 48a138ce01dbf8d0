import type { Context, Sink, Source, SourceContext } from "../connector.js";

/** A message as a test publishes it onto the broker (or reads it back from there). */
export interface TestMessage {
  /** The exact payload bytes. */
  readonly data: Uint8Array;
  /** Headers / attributes, names in lower case. Read back: include `content-type` from wherever the broker keeps it. */
  readonly headers: Readonly<Record<string, string>>;
  /** Kafka key, SQS FIFO MessageGroupId, Pub/Sub orderingKey, or the header the connector reads keys from. */
  readonly key?: string;
}

/** Config the kit varies per test; the harness applies them on top of its own source config. */
export interface SourceOverrides {
  readonly maxInFlight?: number;
  readonly maxMessageBytes?: number;
}

/** One test's private topic/queue/subscription, made by `setup()`. */
export interface SourceHarness {
  /**
   * A source on this harness's topic/queue. Every call consumes the same stream with the same consumer group /
   * queue / subscription, so a second source continues where a stopped one left off (committed/acked state).
   * The harness's config should read from the beginning (Kafka) and use short broker-side backoffs so a retryable
   * reject is redelivered within a few seconds.
   */
  createSource(context: SourceContext, overrides?: SourceOverrides): Source;
  /** Publishes onto the broker with its own client (never through the connector), in order, and confirmed. */
  publish(messages: readonly TestMessage[]): Promise<void>;
  /** Deletes what setup made and closes its clients. */
  cleanup(): Promise<void>;
}

export interface SourceCapabilities {
  /** The broker orders messages of one key (Kafka partition, SQS FIFO group, Pub/Sub ordering key). Default false. */
  readonly orderedByKey?: boolean;
  /** A published `key` arrives as `envelope.key`. Default: the same as `orderedByKey`. */
  readonly keyPreserved?: boolean;
  /** Payloads that are not UTF-8 survive the broker. Default true. */
  readonly binaryPayloads?: boolean;
  /** The source hands several messages to deliver at once (not one by one). Default true. */
  readonly concurrent?: boolean;
}

export type SourceCheck =
  | "payload-and-headers"
  | "redelivery"
  | "dead-letter-rejected"
  | "dead-letter-mapping"
  | "dead-letter-oversize"
  | "stop-drains"
  | "stop-before-start"
  | "back-pressure"
  | "key-order";

export interface SourceConformanceOptions {
  /** The connector type: envelopes must carry `source` = `<broker>:<sourceId>`. */
  readonly broker: string;
  /** Creates a unique topic/queue (and group/subscription) for one test. */
  setup(): Promise<SourceHarness>;
  readonly capabilities?: SourceCapabilities;
  /** How long one wait (a delivery, a redelivery, a dead letter) may take. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Checks that do not apply to this broker or run elsewhere, each with the reason (kept in the code, not shown
   * as a skipped test: CI refuses skipped tests, and a check that cannot apply is not a check that was skipped).
   */
  readonly omit?: Partial<Record<SourceCheck, string>>;
}

/** One test's private destination for a sink, made by `setup()`. */
export interface SinkHarness {
  /** A sink publishing to this harness's topic/exchange/queue. */
  createSink(context: Context): Sink;
  /**
   * Reads `count` messages the sink published, with the broker's own client: exact bytes, headers/attributes
   * (lower-case names; `content-type` included from wherever the connector put it), key where the broker has one.
   */
  readBack(count: number, timeoutMs: number): Promise<TestMessage[]>;
  /**
   * A sink whose broker cannot be reached (e.g. an address where nothing listens), configured to give up within a
   * few seconds: the kit checks that such a batch-level failure is retryable for every event. Omit the
   * "transient-batch-error" check (with the reason) when a sink cannot be built that way.
   */
  createUnreachableSink?(context: Context): Sink;
  cleanup(): Promise<void>;
}

export interface SinkCapabilities {
  /** `envelope.key` arrives as the message key / ordering key / group id. Default false. */
  readonly keyPreserved?: boolean;
  /** Payloads that are not UTF-8 survive the broker. Default true. */
  readonly binaryPayloads?: boolean;
}

export type SinkCheck =
  | "round-trip"
  | "empty-batch"
  | "large-batch"
  | "stop-idempotent"
  | "limits"
  | "batch-over-limits"
  | "oversize-event"
  | "transient-batch-error";

export interface SinkConformanceOptions {
  readonly broker: string;
  setup(): Promise<SinkHarness>;
  readonly capabilities?: SinkCapabilities;
  readonly timeoutMs?: number;
  /** Checks that do not apply or run elsewhere, with the reason (see SourceConformanceOptions.omit). */
  readonly omit?: Partial<Record<SinkCheck, string>>;
}
