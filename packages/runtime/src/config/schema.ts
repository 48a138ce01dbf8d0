import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { DEFAULT_HANDOFF_LINGER_MS } from "@hookyard/scheduler";
import type { Schema } from "convict";
import {
  apiKeyListFormat,
  cidrListFormat,
  cssColorFormat,
  durationListFormat,
  eventTypeNameFormat,
  fractionFormat,
  frameAncestorListFormat,
  hostPortListFormat,
  httpUrlFormat,
  idFormat,
  idListFormat,
  keyPrefixFormat,
  logoUrlFormat,
  nonEmptyStringFormat,
  operatorEventListFormat,
  optionalDurationFormat,
  optionalFractionFormat,
  optionalHttpUrlFormat,
  optionalPemFormat,
  optionalPositiveNumberFormat,
  optionalStringFormat,
  positiveIntegerFormat,
  postgresUrlFormat,
  redisUrlFormat,
  schemaNameFormat,
  secretListFormat,
  signingKeyFormat,
  typeListFormat,
} from "./formats.js";
import { OPERATOR_EVENT_TYPES } from "./operator-event-types.js";

/**
 * The runtime's convict schemas. Convict validates nested objects but not lists of objects, so the file is
 * validated in parts: `runtimeSchema` for the top level, then each list item with its own schema. Every key has
 * a `doc` (docs/config.md is generated from them) and secrets are `sensitive`.
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "auto" | "json" | "pretty";

/** The top level, without the lists (endpoints, subscriptions, sources, sinks), which have their own schemas. */
export interface RuntimeSettings {
  server: {
    host: string;
    port: number;
    shutdownGrace: number;
    internal: { host: string; port: number | null };
    connectorCheckInterval: number;
    trustProxy: string[];
    forwardedHeader: "x-forwarded-for" | "forwarded";
    storeTimeout: number;
  };
  log: { level: LogLevel; format: LogFormat; requests: LogLevel };
  redis: {
    url: string | null;
    cluster: string[];
    username: string | null;
    password: string | null;
    tls: boolean;
    prefix: string;
    shards: number;
    ackDurability: "everysec" | "always" | "replicated";
    ackReplicas: number;
    ackReplicaTimeout: number;
    unverifiedConfig: boolean;
  };
  history: {
    postgres: { url: string | null; schema: string; poolSize: number; statementTimeout: number };
    retention: number;
    deadLetterRetention: number;
    memory: { maxDelivered: number; maxDeadLetters: number };
    outboxMaxRecords: number;
    handoffLinger: number;
  };
  ingest: { enabled: boolean; apiKeys: string[]; maxBodyBytes: number; maxBatchEvents: number; maxJsonDepth: number };
  egress: {
    allowCidrs: string[];
    proxy: string | null;
    timeout: number;
    maxResponseBodyBytes: number;
  };
  delivery: { concurrency: number; lease: number; dedupWindow: number };
  telemetry: { enabled: boolean; endpoint: string | null; serviceName: string | null; sampleRatio: number | null };
  ingress: { routes: unknown[] };
  operator: { endpoints: unknown[]; outboxFillAlert: number };
  admin: {
    enabled: boolean;
    apiKeys: string[];
    portal: {
      signingKey: string | null;
      tokenTtl: number;
      frameAncestors: string[];
      branding: {
        name: string | null;
        logoUrl: string | null;
        colors: { accent: string | null; background: string | null; text: string | null };
        theme: "light" | "dark" | "auto";
      };
    };
    secretRotationGrace: number;
  };
}

/** Keys of the file that hold lists validated item by item. */
export const LIST_KEYS = ["endpoints", "subscriptions", "sources", "sinks", "eventTypes"] as const;

export const runtimeSchema: Schema<RuntimeSettings> = {
  server: {
    host: {
      doc: "Interface the HTTP server listens on: the ingest API, inbound webhooks and health; also the admin API, dashboard and /metrics unless server.internal.port is set.",
      format: String,
      default: "127.0.0.1",
    },
    port: { doc: "Port of the HTTP server.", format: "port", default: 8080 },
    shutdownGrace: {
      doc: "On SIGTERM/SIGINT: how long in-flight deliveries may take to finish before they are released and the process exits.",
      format: "duration",
      default: 30_000,
    },
    connectorCheckInterval: {
      doc: "How often each source's and sink's health check runs in the background. A failing one marks that connector unhealthy (/readyz detail, hookyard_component_up, a warning in the log) without making the instance unready: ingress and the ingest API keep working.",
      format: "duration",
      default: 10_000,
    },
    internal: {
      host: {
        doc: "Interface of the internal listener (admin API, dashboard, /metrics, and health again for probes); only used when server.internal.port is set.",
        format: String,
        default: "127.0.0.1",
      },
      port: {
        doc: "Port of the internal listener. Set it to keep the admin API, dashboard and /metrics off the public port, which then serves only the ingest API, inbound webhooks and health (404 for the rest). Unset: everything on server.port.",
        format: "port",
        default: null,
        nullable: true,
      },
    },
    trustProxy: {
      doc: "CIDRs of the load balancers and reverse proxies in front of Hookyard. Only a request whose socket is in them has its client address taken from forwardedHeader (walked right to left, skipping these hops) for ingress CIDR lists and logs, and its scheme and host from X-Forwarded-Proto/-Host (or Forwarded). Empty: every client is the socket's address and forwarded headers are ignored. See docs/ingress.md.",
      format: cidrListFormat,
      default: [],
    },
    forwardedHeader: {
      doc: "The header the trusted proxies append the client address to: x-forwarded-for (cloud load balancers, nginx, Envoy) or forwarded (RFC 7239). Only this one is read, so a client cannot slip the other past proxies that do not rewrite it.",
      format: ["x-forwarded-for", "forwarded"],
      default: "x-forwarded-for",
    },
    storeTimeout: {
      doc: "Longest an ingest or ingress request waits on the store (Redis: rate limit, de-duplication, enqueue) before it is answered 503 with Retry-After, so a hung or unreachable Redis never holds a provider's connection. A write that lands later is de-duplicated when the sender retries.",
      format: "duration",
      default: 1000,
    },
  },
  log: {
    level: { doc: "Log level.", format: [...LOG_LEVELS], default: "info" },
    format: {
      doc: 'auto: pretty on a terminal, JSON otherwise. A JSON line has `level` ("info"), `severity` ("INFO", for Google Cloud Logging), `time` (ISO 8601), `message` and context fields: Loki, Cloud Logging and Datadog read it as it is.',
      format: ["auto", "json", "pretty"],
      default: "auto",
    },
    requests: {
      doc: "Level of the one line logged per HTTP request (ingest API, admin API, dashboard, inbound webhooks): method, path without the query string, status, duration, client address; never headers or bodies. silent turns it off. Health, readiness and metrics probes are logged at debug.",
      format: [...LOG_LEVELS],
      default: "info",
    },
  },
  redis: {
    url: {
      doc: "redis:// or rediss:// URL of a standalone Redis. Leave url and cluster unset to use the embedded in-process store, which is NOT durable (for trying Hookyard only). Run Redis with appendonly yes.",
      format: redisUrlFormat,
      default: null,
      nullable: true,
      sensitive: true,
    },
    cluster: {
      doc: 'Redis Cluster seed nodes, "host:port" each. Set this or url, not both.',
      format: hostPortListFormat,
      default: [],
    },
    username: {
      doc: "Redis ACL user name for cluster nodes (a url carries its own).",
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
    password: {
      doc: "Redis password for cluster nodes (a url carries its own).",
      format: optionalStringFormat,
      default: null,
      nullable: true,
      sensitive: true,
    },
    tls: { doc: "Connect to cluster nodes with TLS (a url says so with rediss://).", format: Boolean, default: false },
    prefix: {
      doc: "Prefix of every Redis key Hookyard writes, so several deployments can share one Redis.",
      format: keyPrefixFormat,
      default: "hookyard",
    },
    shards: {
      doc: "Scheduler shards: each has its own Redis hash tag ({prefix:0} … {prefix:N-1}; {prefix} with 1), and every endpoint lives on the shard its id hashes to, so on Redis Cluster the scheduler's load spreads over the masters (one shard runs on one Redis core: ~6,000-10,000 deliveries/s). Keep 1 on standalone Redis; on a Cluster use a few per master (e.g. 4 per master: 12 for 3 masters) so shards spread evenly as masters are added. Fixed for the life of the data: Hookyard refuses to start (exit 78) when it differs from the count the data was written with; see docs/production.md for changing it (drain and switch, `hookyard reshard`).",
      format: positiveIntegerFormat,
      default: 1,
    },
    ackDurability: {
      doc: "When an event is acknowledged (ingest 2xx, broker ack), relative to Redis's durability. everysec: written to Redis's AOF (appendfsync everysec): a Redis crash loses nothing, a host crash or power loss up to ~1 s of acknowledged events. always: Redis must run appendfsync always (checked at start-up): a host crash loses nothing on that disk. replicated: also waits until ackReplicas replicas hold the event, one wait per batch of events (per Cluster master the events went to; on a Cluster every master must have ackReplicas replicas, checked at start-up): WAIT on Redis 7.0/7.1 (the replicas applied it), WAITAOF on Redis 7.2+ and Valkey (the master and the replicas fsynced it to their AOF; replicas need appendonly yes), so losing the master's host loses nothing once a replica is promoted; events are refused (503 / not acked) while too few replicas answer within ackReplicaTimeout. See docs/deployment.md.",
      format: ["everysec", "always", "replicated"],
      default: "everysec",
    },
    ackReplicas: {
      doc: "ackDurability replicated: how many replicas must hold an event before it is acknowledged.",
      format: positiveIntegerFormat,
      default: 1,
    },
    ackReplicaTimeout: {
      doc: "ackDurability replicated: how long to wait for the replicas before refusing the events (retryable: the producer sends them again).",
      format: "duration",
      default: 1000,
    },
    unverifiedConfig: {
      doc: "At start-up Hookyard reads Redis's settings (INFO, and CONFIG GET where INFO does not say) and refuses to start (exit 78) on an evicting maxmemory-policy or one that does not match ackDurability. Managed Redis that hides CONFIG: set true to start with a warning when a setting cannot be read (make sure maxmemory-policy is noeviction). A setting that can be read and is unsafe is refused anyway.",
      format: Boolean,
      default: false,
    },
  },
  history: {
    postgres: {
      url: {
        doc: "postgres:// URL of the PostgreSQL database that keeps delivery history (settled deliveries, attempts, payloads for inspection and replay). Unset: taken from $HOOKYARD_HISTORY_POSTGRES_URL; unset there too: history is kept in memory, bounded by history.memory and NOT durable. TLS and other options as URL parameters (sslmode=verify-full).",
        format: postgresUrlFormat,
        default: null,
        nullable: true,
        sensitive: true,
      },
      schema: {
        doc: "Schema of Hookyard's history tables, created by the migrations (applied at start-up and by `hookyard migrate`).",
        format: schemaNameFormat,
        default: "hookyard",
      },
      poolSize: {
        doc: "Most PostgreSQL connections of each Hookyard process (history writes, admin queries, maintenance).",
        format: positiveIntegerFormat,
        default: 10,
      },
      statementTimeout: {
        doc: "How long one history statement may run before PostgreSQL cancels it.",
        format: "duration",
        default: 30_000,
      },
    },
    retention: {
      doc: "How long a delivered delivery, its attempts and payload stay in history after delivery. Expired days are dropped whole (PostgreSQL partitions), so records live up to a day longer.",
      format: "duration",
      default: 3 * 24 * 60 * 60 * 1000,
    },
    deadLetterRetention: {
      doc: "How long a dead letter, its attempts and payload stay in history (and can be replayed) after it died.",
      format: "duration",
      default: 30 * 24 * 60 * 60 * 1000,
    },
    memory: {
      maxDelivered: {
        doc: "Without PostgreSQL: most delivered records kept in memory (the oldest go first).",
        format: positiveIntegerFormat,
        default: 10_000,
      },
      maxDeadLetters: {
        doc: "Without PostgreSQL: most dead letters kept in memory (the oldest go first).",
        format: positiveIntegerFormat,
        default: 10_000,
      },
    },
    outboxMaxRecords: {
      doc: "Settled deliveries leave Redis at once and wait in an outbox (in Redis, or in memory on the embedded store) until they are written to the history store, in batches, by any instance. While PostgreSQL is slow or down the outbox buffers up to this many records (a warning at 50 %, 80 % and full; metrics hookyard_history_outbox_records and, for how long the oldest has waited, hookyard_history_outbox_age_seconds); past it, delivered records' history is shed and counted (hookyard_history_shed_records), but a dead letter is never shed. Each record holds the event's envelope: size Redis for this many times the payload (docs/deployment.md, Sizing).",
      format: positiveIntegerFormat,
      default: 100_000,
    },
    handoffLinger: {
      doc: "Once deliveries settle, how long the hand-off gathers them before one history write (at most 1m). At a quiet rate a longer wait makes fewer, larger writes: fewer Redis round trips and less PostgreSQL work per delivery (at 200 events/s, 500ms gives ~100 records per write); the delivery log's lists lag by up to this much, while one delivery stays readable by id at once. A backlog is written in full batches without waiting.",
      format: "duration",
      default: DEFAULT_HANDOFF_LINGER_MS,
    },
  },
  ingest: {
    enabled: {
      doc: "Serve the HTTP ingest API (POST /v1/events, /v1/events/batch; see docs/ingest.md) so services can publish events over HTTP.",
      format: Boolean,
      default: false,
    },
    apiKeys: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      doc: "API keys accepted by the ingest API (Authorization: Bearer <key> or X-Api-Key), 8 to 512 characters (use 32+ random ones in production); several during rotation. Use ${VAR} to keep them out of the file.",
      format: apiKeyListFormat,
      default: [],
      sensitive: true,
    },
    maxBodyBytes: {
      doc: "Largest request body the ingest API accepts (413 above).",
      format: "size",
      default: 1_048_576,
    },
    maxBatchEvents: { doc: "Most events in one batch request.", format: positiveIntegerFormat, default: 100 },
    maxJsonDepth: {
      doc: "Deepest nesting of arrays and objects accepted in a JSON body or JSON payload (400 above): deep documents cost stack and CPU wherever they are walked (filters, the dashboard).",
      format: positiveIntegerFormat,
      default: 64,
    },
  },
  delivery: {
    concurrency: {
      doc: "Most deliveries this process sends at once, over all endpoints (each endpoint also has its own policy.concurrency).",
      format: positiveIntegerFormat,
      default: 200,
    },
    lease: {
      doc: "How long a claimed delivery stays with this process before another may take it over (after a crash). Renewed while a send is still running; must be longer than every endpoint's timeout.",
      format: "duration",
      default: 30_000,
    },
    dedupWindow: {
      doc: "How long an event's de-duplication key is remembered: a broker message redelivered (to this or another instance) or an ingest API event sent again with the same Idempotency-Key within this window is recognised and not delivered twice. Each key costs ~250 B of Redis for the whole window, so at high rates it is most of Redis's memory (docs/deployment.md, Sizing); keep it longer than your brokers' redelivery and your producers' retry windows. Between 1m and 30d.",
      format: "duration",
      default: 24 * 60 * 60 * 1000,
    },
  },
  telemetry: {
    enabled: {
      doc: "Export OpenTelemetry traces over OTLP/HTTP (protobuf): a span for each event's acceptance (source or ingest API), each delivery attempt, each inbound webhook and each sink publish, in the producer's trace when its message or request carried a W3C traceparent (docs/tracing.md). Off by default; the traceparent is passed on to endpoints and sinks either way. $OTEL_SDK_DISABLED=true turns it off.",
      format: Boolean,
      default: false,
    },
    endpoint: {
      doc: "OTLP/HTTP endpoint (a collector, Jaeger, Tempo, …); /v1/traces is appended. Unset: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is), else $OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318. Headers (e.g. an API key) come from $OTEL_EXPORTER_OTLP_HEADERS / $OTEL_EXPORTER_OTLP_TRACES_HEADERS.",
      format: optionalHttpUrlFormat,
      default: null,
      nullable: true,
    },
    serviceName: {
      doc: "service.name of the spans. Unset: $OTEL_SERVICE_NAME, else hookyard. More resource attributes from $OTEL_RESOURCE_ATTRIBUTES.",
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
    sampleRatio: {
      doc: "Share of new traces recorded (0 to 1), parent-based: an event whose producer's traceparent says sampled (or not) follows that decision. Unset: $OTEL_TRACES_SAMPLER and $OTEL_TRACES_SAMPLER_ARG (always_on, always_off, traceidratio, parentbased_*), else parentbased_always_on.",
      format: optionalFractionFormat,
      default: null,
      nullable: true,
    },
  },
  egress: {
    allowCidrs: {
      doc: "Address ranges endpoints may resolve to although they are loopback, private or link-local (refused by default to prevent SSRF), e.g. 127.0.0.0/8 for a local receiver.",
      format: cidrListFormat,
      default: [],
    },
    proxy: {
      doc: "HTTP CONNECT proxy for every endpoint without its own, for static egress IPs. May carry credentials.",
      format: optionalHttpUrlFormat,
      default: null,
      nullable: true,
      sensitive: true,
    },
    timeout: {
      doc: "Whole-request timeout of one delivery attempt, for endpoints whose policy sets none.",
      format: "duration",
      default: DEFAULT_ENDPOINT_POLICY.timeoutMs,
    },
    maxResponseBodyBytes: {
      doc: "How much of each endpoint response is kept in the attempt log.",
      format: "size",
      default: 65_536,
    },
  },
  admin: {
    enabled: {
      doc: "Serve the admin API (/admin/v1) and the delivery dashboard (/dashboard).",
      format: Boolean,
      default: false,
    },
    apiKeys: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      doc: "Admin API keys (operators: every owner), 8 to 512 characters (use 32+ random ones); several during rotation. The audit log names each by an id derived from it (key_<8 hex>). Use ${VAR} to keep them out of the file.",
      format: apiKeyListFormat,
      default: [],
      sensitive: true,
    },
    portal: {
      signingKey: {
        doc: "HMAC-SHA256 key signing customer portal tokens (one owner each), 32+ characters. Unset: no portal tokens.",
        format: signingKeyFormat,
        default: null,
        nullable: true,
        sensitive: true,
      },
      tokenTtl: {
        doc: "How long a portal token is valid when the request names no ttlSeconds.",
        format: "duration",
        default: 3_600_000,
      },
      frameAncestors: {
        doc: "Who may embed the dashboard in an iframe (CSP frame-ancestors), e.g. your product's origin. Empty: only Hookyard itself ('self').",
        format: frameAncestorListFormat,
        default: [],
      },
      branding: {
        name: {
          doc: 'The operator\'s name in the portal\'s header and title, e.g. "Acme Webhooks" (default "Hookyard").',
          format: optionalStringFormat,
          default: null,
          nullable: true,
        },
        logoUrl: {
          doc: "Logo shown in the portal's header: an https URL (its origin joins the dashboard's CSP img-src) or a data:image/… URL.",
          format: logoUrlFormat,
          default: null,
          nullable: true,
        },
        colors: {
          accent: {
            doc: "Accent colour (buttons, links, focus): #rgb, #rrggbb, rgb()/hsl() or a CSS colour name.",
            format: cssColorFormat,
            default: null,
            nullable: true,
          },
          background: { doc: "Page background colour.", format: cssColorFormat, default: null, nullable: true },
          text: { doc: "Text colour.", format: cssColorFormat, default: null, nullable: true },
        },
        theme: {
          doc: "light, dark, or auto (follows the viewer's system setting). The colours above style the light theme; the dark one keeps its own contrast-checked palette.",
          format: ["light", "dark", "auto"],
          default: "auto",
        },
      },
    },
    secretRotationGrace: {
      doc: "After an endpoint's secret is rotated through the admin API, how long the old secret keeps signing.",
      format: "duration",
      default: 86_400_000,
    },
  },
  operator: {
    endpoints: {
      doc: "Where operator alerts go as signed webhooks (endpoint disabled, breaker opened/closed, dead letters, history outbox filling or shedding), through the same scheduler as customer deliveries; see [operator.endpoints](#operatorendpoints). Every alert is also logged at warn and counted in hookyard_operator_events_total.",
      format: Array,
      default: [],
    },
    outboxFillAlert: {
      doc: "history.outbox.filling is raised when the history outbox holds this fraction of history.outboxMaxRecords (raised again only after it drained below half of it).",
      format: fractionFormat,
      default: 0.8,
    },
  },
  ingress: {
    routes: {
      doc: "Inbound webhook routes (verified third-party webhooks onto the brokers or internal HTTP services); every key is validated, see [ingress.routes](#ingressroutes).",
      format: Array,
      default: [],
    },
  },
};

export interface EndpointSettings {
  id: string;
  owner: string | null;
  url: string;
  secrets: (string | { secret: string; expiresAt?: string })[];
  headers: Record<string, string>;
  enabled: boolean;
  proxy: string | null;
  tls: { ca: string | null; cert: string | null; key: string | null };
  payload: "standard" | "raw";
  policy: {
    concurrency: number;
    timeout: number | string | null;
    orderedByKey: boolean;
    rateLimit: { perSecond: number | null; burst: number | null };
    retry: {
      schedule: (string | number)[];
      jitter: number;
      maxRetryAfter: number;
      minThrottleDelay: number;
      maxAge: number;
    };
    breaker: { window: number; minRequests: number; failureRate: number; cooldown: number; disableAfter: number };
  };
}

const retry = DEFAULT_ENDPOINT_POLICY.retry;
const breaker = DEFAULT_ENDPOINT_POLICY.breaker;

export const endpointSchema: Schema<EndpointSettings> = {
  id: { doc: "Unique endpoint id; subscriptions name it.", format: idFormat, default: null },
  owner: {
    doc: "The customer that owns the endpoint (defaults to the id).",
    format: optionalStringFormat,
    default: null,
    nullable: true,
  },
  url: { doc: "Where webhooks are POSTed. Redirects are not followed.", format: httpUrlFormat, default: null },
  secrets: {
    doc: 'Signing secrets (Standard Webhooks): "whsec_…" (HMAC-SHA256, v1) or "whsk_…" (ed25519, v1a). Several during a rotation, each optionally { secret, expiresAt }. Every request is signed with each active secret.',
    format: secretListFormat,
    default: [],
    sensitive: true,
  },
  headers: {
    doc: "Extra request headers, name: value. Values of credential-looking names (authorization, *token*, *key*, …) are redacted in output.",
    format: Object,
    default: {},
  },
  enabled: {
    doc: "A disabled endpoint keeps its deliveries queued until it is enabled again.",
    format: Boolean,
    default: true,
  },
  payload: {
    doc: 'The request body. "standard": a JSON payload is wrapped in the Standard Webhooks structure {"type", "timestamp", "data"} (the event\'s type and time, the payload as data), so receivers can tell events apart; "raw": the payload bytes as they are (what Hookyard sent before this setting existed, for receivers that expect the producer\'s exact body). Payloads that are not JSON always go out raw. Either way the signature covers exactly the bytes sent. See docs/receiving-webhooks.md.',
    format: ["standard", "raw"],
    default: "standard",
  },
  proxy: {
    doc: "HTTP CONNECT proxy for this endpoint (defaults to egress.proxy).",
    format: optionalHttpUrlFormat,
    default: null,
    nullable: true,
    sensitive: true,
  },
  tls: {
    ca: {
      doc: "PEM CA bundle to trust for this endpoint instead of the system roots.",
      format: optionalPemFormat,
      default: null,
      nullable: true,
    },
    cert: { doc: "PEM client certificate for mutual TLS.", format: optionalPemFormat, default: null, nullable: true },
    key: {
      doc: "PEM private key of the client certificate.",
      format: optionalPemFormat,
      default: null,
      nullable: true,
      sensitive: true,
    },
  },
  policy: {
    concurrency: {
      doc: "Most deliveries in flight at once to this endpoint.",
      format: positiveIntegerFormat,
      default: DEFAULT_ENDPOINT_POLICY.concurrency,
    },
    timeout: {
      doc: "Whole-request timeout of one attempt (defaults to egress.timeout).",
      format: optionalDurationFormat,
      default: null,
      nullable: true,
    },
    orderedByKey: {
      doc: "Deliver events with the same key in order, one at a time (the key comes from the source mapping).",
      format: Boolean,
      default: DEFAULT_ENDPOINT_POLICY.orderedByKey,
    },
    rateLimit: {
      perSecond: {
        doc: "Requests per second to this endpoint; unset = unlimited.",
        format: optionalPositiveNumberFormat,
        default: null,
        nullable: true,
      },
      burst: {
        doc: "Requests allowed at once above the rate (defaults to perSecond).",
        format: optionalPositiveNumberFormat,
        default: null,
        nullable: true,
      },
    },
    retry: {
      schedule: {
        doc: "Delay before each attempt, the first included (0 = at once): its length is the number of attempts, so the default makes 10 attempts (1 + 9 retries) over about 3 days. After the last attempt fails the delivery goes to the dead-letter set.",
        format: durationListFormat,
        default: [...retry.scheduleMs],
      },
      jitter: {
        doc: "Random spread added to each delay, as a fraction of it.",
        format: fractionFormat,
        default: retry.jitter,
      },
      maxRetryAfter: {
        doc: "Longest Retry-After honoured on 429/503; longer values are capped.",
        format: "duration",
        default: retry.maxRetryAfterMs,
      },
      minThrottleDelay: {
        doc: "Least wait after a timeout or a 429.",
        format: "duration",
        default: retry.minThrottleDelayMs,
      },
      maxAge: {
        doc: 'Longest a delivery stays live, from when it was queued: a retry, or a wait asked by 429/503 (backpressure, which does not spend the schedule\'s attempts), that would fall later makes it dead with reason "max age exceeded".',
        format: "duration",
        default: retry.maxAgeMs ?? 4 * 24 * 60 * 60 * 1000,
      },
    },
    breaker: {
      window: { doc: "Window over which the failure rate is measured.", format: "duration", default: breaker.windowMs },
      minRequests: {
        doc: "The breaker does not open below this many requests in the window.",
        format: "nat",
        default: breaker.minRequests,
      },
      failureRate: {
        doc: "Failure rate (0 to 1) at which the breaker opens.",
        format: fractionFormat,
        default: breaker.failureRate,
      },
      cooldown: {
        doc: "How long the breaker stays open before half-open probes.",
        format: "duration",
        default: breaker.cooldownMs,
      },
      disableAfter: {
        doc: "An endpoint failing continuously this long is disabled (0 = never).",
        format: "duration",
        default: breaker.disableAfterMs,
      },
    },
  },
};

export interface OperatorEndpointSettings extends Omit<EndpointSettings, "owner"> {
  events: string[];
}

const { owner: _owner, ...endpointKeys } = endpointSchema;

/** An operator endpoint: an endpoint (without owner) plus the alerts it wants. */
export const operatorEndpointSchema: Schema<OperatorEndpointSettings> = {
  ...(endpointKeys as Schema<Omit<EndpointSettings, "owner">>),
  id: {
    doc: "Unique operator endpoint id (its deliveries show as endpoint operator:<id> in metrics and history).",
    format: idFormat,
    default: null,
  },
  events: {
    doc: `The alerts it receives: any of ${OPERATOR_EVENT_TYPES.map((type) => `"${type}"`).join(", ")}. Default: all.`,
    format: operatorEventListFormat,
    default: [...OPERATOR_EVENT_TYPES],
  },
} as Schema<OperatorEndpointSettings>;

export interface SubscriptionSettings {
  id: string;
  endpoints: string[];
  types: string[];
  filter: unknown;
  enabled: boolean;
}

export const subscriptionSchema: Schema<SubscriptionSettings> = {
  id: { doc: "Unique subscription id.", format: idFormat, default: null },
  endpoints: { doc: "Ids of the endpoints that receive the matching events.", format: idListFormat, default: [] },
  types: {
    doc: 'Event types to match: exact names or globs ("invoice.*" = one segment, "invoice.**" = any depth, "*" = all). See docs/routing.md.',
    format: typeListFormat,
    default: [],
  },
  filter: {
    doc: 'Optional filter over { id, type, source, subject, headers, data } where data is the JSON body, e.g. { "data.amount": { "$gte": 100 } }. See docs/routing.md.',
    format: Object,
    default: null,
    nullable: true,
  },
  enabled: { doc: "A disabled subscription routes nothing.", format: Boolean, default: true },
};

export interface ConnectorEntrySettings {
  id: string;
  type: string;
  enabled: boolean;
  mapping: unknown;
  config: unknown;
}

export const sourceEntrySchema: Schema<ConnectorEntrySettings> = {
  id: { doc: 'Unique source id; events from it get source "<type>:<id>".', format: idFormat, default: null },
  type: {
    doc: "Connector: a built-in name (kafka, rabbitmq, pubsub, sqs) or an npm package name exporting `connector`.",
    format: nonEmptyStringFormat,
    default: null,
  },
  enabled: { doc: "A disabled source is not started.", format: Boolean, default: true },
  mapping: {
    doc: "Where the envelope's id, type, key, time, subject and contentType come from: { header }, { attribute }, { jsonPath }, { value } or { broker }. Defaults to CloudEvents (ce-* headers). See docs/routing.md.",
    format: Object,
    default: {},
  },
  config: { doc: "The connector's own settings; see its section below.", format: Object, default: {} },
};

export const sinkEntrySchema: Schema<Omit<ConnectorEntrySettings, "mapping">> = {
  id: { doc: "Unique sink id; ingress rules name it as a target.", format: idFormat, default: null },
  type: {
    doc: "Connector: a built-in name or an npm package name exporting `connector`.",
    format: nonEmptyStringFormat,
    default: null,
  },
  enabled: { doc: "A disabled sink is not started.", format: Boolean, default: true },
  config: { doc: "The connector's own settings; see its section below.", format: Object, default: {} },
};

export interface EventTypeSettings {
  name: string;
  description: string;
  group: string | null;
  schema: unknown;
  example: unknown;
  deprecated: boolean;
  validation: "reject" | "warn" | "off";
}

export const eventTypeSchema: Schema<EventTypeSettings> = {
  name: {
    doc: 'The event type, exactly as envelopes carry it (e.g. "invoice.paid"; letters, digits and . _ : -, no globs).',
    format: eventTypeNameFormat,
    default: null,
  },
  description: {
    doc: "What the event means, shown in the customer portal (Markdown-free text).",
    format: String,
    default: "",
  },
  group: {
    doc: 'Groups types in the portal, e.g. "Invoices".',
    format: optionalStringFormat,
    default: null,
    nullable: true,
  },
  schema: {
    doc: "JSON Schema of the payload (draft 2020-12, or draft-07 when its $schema says so). `hookyard validate` checks it (strictly: unknown keywords are errors) and that the example matches it.",
    format: Object,
    default: null,
    nullable: true,
  },
  example: {
    doc: "An example payload (any JSON), shown in the portal and sent by its test events.",
    format: "*",
    default: null,
    nullable: true,
  },
  deprecated: {
    doc: "Shown as deprecated in the portal; events of the type are still accepted.",
    format: Boolean,
    default: false,
  },
  validation: {
    doc: "Payloads of this type checked against the schema at the ingest API and the sources: reject (422 at ingest naming the failing JSON path; a source keeps the message in the rejected log and acks it), warn (accepted, logged and counted in hookyard_payload_schema_failures_total) or off.",
    format: ["reject", "warn", "off"],
    default: "warn",
  },
};
