import type { Schema } from "convict";
import type { Logger } from "pino";
import type { Envelope } from "./envelope.js";
import type { SourceMessage } from "./mapping/value-source.js";

/**
 * Hands one event to the gateway. Resolved: the event and all its deliveries are durable, so the source may
 * ack/commit the broker message. Rejected: nack/redeliver, or dead-letter when the error is not retryable.
 * Awaiting it is the back-pressure.
 */
export type Deliver = (event: Envelope) => Promise<void>;

/** Pulls events from a broker. `stop()` drains in-flight deliveries and is idempotent. */
export interface Source {
  start(deliver: Deliver): Promise<void>;
  stop(): Promise<void>;
}

/** Publishes events onto a broker. `send` resolves only when the broker confirmed every message. */
export interface Sink {
  send(batch: readonly Envelope[]): Promise<void>;
  stop(): Promise<void>;
}

/** What a connector gets from the runtime. */
export interface Context {
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * What a source additionally gets: the envelope mapping configured for it (so every connector maps broker
 * messages the same way) and a place for messages that can never be processed.
 */
export interface SourceContext extends Context {
  /** The source's id in the config, e.g. "orders". */
  readonly sourceId: string;
  /** Maps a broker message to an envelope; throws a non-retryable HookyardError for a poison message. */
  toEnvelope(message: SourceMessage): Envelope;
  /**
   * Keeps a poison message (undecodable, failing the mapping, too large) with its reason where operators can
   * inspect it; resolves once that is durable, after which the source acks the broker message.
   */
  deadLetter(message: SourceMessage, reason: string): Promise<void>;
}

/** A problem in a connector's config that its schema cannot express; `key` is relative to the entry's `config`. */
export interface ConnectorConfigProblem {
  /** Dotted key path inside `config`, e.g. "topics" or "create.topic". */
  readonly key: string;
  readonly expected: string;
  readonly found: string;
}

/** One side (source or sink) of a connector: a documented convict schema and a factory. */
export interface Side<Config, T, Ctx extends Context = Context> {
  /** Every key documented; secrets marked `sensitive`. */
  readonly schema: Schema<Config>;
  /**
   * Checks that need no broker (keys that only work together, limits the schema cannot state), on a config that
   * passed the schema. Run by `hookyard validate` and by `start` before anything starts: every problem at once.
   */
  validate?(config: Config): readonly ConnectorConfigProblem[];
  /** Health probe: is the broker reachable and does the configured topic/queue exist? */
  check?(config: Config, ctx: Context): Promise<void>;
  create(config: Config, ctx: Ctx): T;
}

/**
 * A connector package's export. Built-in connectors are listed in the runtime; any other `type` is an npm
 * package name whose module exports one of these as `connector`.
 */
export interface ConnectorDefinition<SourceConfig = unknown, SinkConfig = unknown> {
  readonly type: string;
  readonly source?: Side<SourceConfig, Source, SourceContext>;
  readonly sink?: Side<SinkConfig, Sink>;
}
