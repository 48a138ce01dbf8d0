import type { EventType, PortalBranding } from "@hookyard/admin";
import type { Endpoint, EnvelopeMappingSpec, FilterSpec } from "@hookyard/core";
import type { IngressRoute } from "@hookyard/ingress";
import type { OperatorEventType } from "./operator-event-types.js";
import type { LogFormat, LogLevel } from "./schema.js";
import type { TelemetrySettings } from "./telemetry-settings.js";

/** What an acknowledgement promises, how the start-up check treats settings it cannot read, and the shard count. */
export interface RedisSafetySettings {
  readonly ack: {
    readonly mode: "everysec" | "always" | "replicated";
    readonly replicas: number;
    readonly timeoutMs: number;
  };
  readonly unverifiedConfig: boolean;
  /** Scheduler shards (`redis.shards`), each with its own hash tag. */
  readonly shards: number;
}

/** Where scheduler state lives. `embedded` is in-process and not durable: for trying Hookyard only. */
export type RedisSettings =
  | { readonly mode: "embedded"; readonly prefix: string }
  | ({ readonly mode: "standalone"; readonly url: string; readonly prefix: string } & RedisSafetySettings)
  | ({
      readonly mode: "cluster";
      readonly nodes: readonly { readonly host: string; readonly port: number }[];
      readonly username?: string;
      readonly password?: string;
      readonly tls: boolean;
      readonly prefix: string;
    } & RedisSafetySettings);

/**
 * Where delivery history (settled deliveries, attempts, payloads) lives: PostgreSQL, or in process memory,
 * bounded by count and not durable. Durations in ms.
 */
export type HistorySettings =
  | {
      readonly kind: "postgres";
      /** Nested as in the file (history.postgres.url) so `redactConfig` finds the secret. */
      readonly postgres: {
        readonly url: string;
        readonly schema: string;
        readonly poolSize: number;
        readonly statementTimeoutMs: number;
      };
      readonly retentionMs: number;
      readonly deadLetterRetentionMs: number;
      /** Most settled records waiting in the scheduler's outbox before delivered ones are shed. */
      readonly outboxMaxRecords: number;
      /** How long the hand-off gathers settled records at a quiet rate before a history write. */
      readonly handoffLingerMs: number;
    }
  | {
      readonly kind: "memory";
      readonly maxDelivered: number;
      readonly maxDeadLetters: number;
      readonly retentionMs: number;
      readonly deadLetterRetentionMs: number;
      readonly outboxMaxRecords: number;
      readonly handoffLingerMs: number;
    };

/** Routes events to endpoints: by type (exact names or globs) and an optional filter. */
export interface Subscription {
  readonly id: string;
  readonly endpoints: readonly string[];
  readonly types: readonly string[];
  readonly filter?: FilterSpec;
  readonly enabled: boolean;
}

/** A source connector instance. `config` has passed the connector's own schema (defaults applied). */
export interface SourceEntry {
  readonly id: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly mapping: EnvelopeMappingSpec;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface SinkEntry {
  readonly id: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A validated, frozen config file. Durations are milliseconds and sizes bytes. */
/**
 * An endpoint receiving operator alerts. `endpoint.id` is the config id prefixed with "operator:" (so it never
 * collides with a customer endpoint and alerts about it are recognised), `owner` is "hookyard".
 */
export interface OperatorEndpoint {
  readonly endpoint: Endpoint;
  readonly events: readonly OperatorEventType[];
}

export interface HookyardConfig {
  /** The file it was loaded from, as given. */
  readonly file: string;
  /** sha256 (hex) of the file's bytes as read (`sha256sum FILE` prints the same). */
  readonly hash: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly shutdownGraceMs: number;
    readonly connectorCheckIntervalMs: number;
    /** The internal listener (admin API, dashboard, /metrics); absent: they share the public one. */
    readonly internal?: { readonly host: string; readonly port: number };
    /** CIDRs of trusted proxies (empty: trust none). */
    readonly trustProxy: readonly string[];
    readonly forwardedHeader: "x-forwarded-for" | "forwarded";
    /** Longest an ingest/ingress request waits on the store before 503. */
    readonly storeTimeoutMs: number;
  };
  /** `requests`: the level of the one line logged per HTTP request ("silent": none). */
  readonly log: { readonly level: LogLevel; readonly format: LogFormat; readonly requests: LogLevel };
  readonly redis: RedisSettings;
  readonly history: HistorySettings;
  /** OpenTelemetry tracing: off, or where and how to export. */
  readonly telemetry: TelemetrySettings;
  readonly ingest: {
    readonly enabled: boolean;
    readonly apiKeys: readonly string[];
    readonly maxBodyBytes: number;
    readonly maxBatchEvents: number;
    readonly maxJsonDepth: number;
  };
  readonly egress: {
    readonly allowCidrs: readonly string[];
    readonly proxy?: string;
    readonly timeoutMs: number;
    readonly maxResponseBodyBytes: number;
  };
  /** The admin API and dashboard. Durations in ms. */
  readonly admin: {
    readonly enabled: boolean;
    readonly apiKeys: readonly string[];
    /** Key names follow the file's (admin.portal.signingKey) so `redactConfig` finds the secret. */
    readonly portal: {
      readonly signingKey?: string;
      readonly tokenTtlMs: number;
      readonly frameAncestors: readonly string[];
      readonly branding: PortalBranding;
    };
    readonly secretGraceMs: number;
  };
  /** How this process works through the scheduler: in-flight cap and lease length. */
  readonly delivery: {
    readonly concurrency: number;
    readonly leaseMs: number;
    /** How long de-duplication keys (broker coordinates, ingest idempotency keys) are kept. */
    readonly dedupWindowMs: number;
  };
  readonly endpoints: readonly Endpoint[];
  readonly subscriptions: readonly Subscription[];
  /** The event-type catalogue from the file (schemas compiled and checked). */
  readonly eventTypes: readonly EventType[];
  readonly sources: readonly SourceEntry[];
  readonly sinks: readonly SinkEntry[];
  /** Inbound webhook routes, compiled by @hookyard/ingress (verifiers ready, rules compiled). */
  readonly ingress: { readonly routes: readonly IngressRoute[] };
  /** Where operator alerts go, and when the history outbox counts as filling (a fraction of its bound). */
  readonly operator: {
    readonly endpoints: readonly OperatorEndpoint[];
    readonly outboxFillAlert: number;
  };
  /** Key paths (as in error messages) whose values are secrets; `redactConfig` hides them. */
  readonly sensitivePaths: readonly string[];
  /**
   * The config as validated, in the file's own keys with every default filled in and durations and sizes in
   * written units: what `hookyard validate` prints (through `redactConfig`, which hides the secrets).
   */
  readonly shown: Readonly<Record<string, unknown>>;
}
