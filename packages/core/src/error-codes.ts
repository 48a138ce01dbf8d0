/**
 * Every code a HookyardError carries, in one place (as Fastify's `FST_ERR_*` registry): whether the operation that
 * failed may succeed when retried, what the code means and what to do about it. docs/errors.md is generated from
 * this map (`npm run docs`), and a test keeps the two equal.
 *
 * `retryable` is the default of `HookyardError.retryable` for the code; "varies" means the error that carries it
 * says (a driver's own verdict, or a missing topic that may still be being created).
 */
export interface ErrorCodeInfo {
  readonly retryable: boolean | "varies";
  readonly meaning: string;
  readonly action: string;
}

export const ERROR_CODES = {
  CONFIG_INVALID: {
    retryable: false,
    meaning:
      "The config file, or a connector's settings, cannot work (a bad value, a missing key, refused credentials).",
    action: "Run `hookyard validate -c FILE`: it lists every problem with the file and key path. `start` exits 78.",
  },
  CONNECTION_FAILED: {
    retryable: true,
    meaning: "A broker, Redis or another service could not be reached, or dropped the connection.",
    action: "Nothing is lost: the operation is retried with backoff. Check the address and that the service is up.",
  },
  CONNECTOR_NOT_FOUND: {
    retryable: false,
    meaning: "A source or sink `type` is neither a built-in connector nor an installed package exporting one.",
    action: "Fix the `type`, or install the connector package next to Hookyard (`npm install <package>`).",
  },
  CONNECTOR_INVALID: {
    retryable: false,
    meaning: "A connector package was loaded but does not export a valid `connector` definition.",
    action: "Fix the package: it must export `connector = { type, source?, sink? }` (see packages/core/README.md).",
  },
  RESOURCE_NOT_FOUND: {
    retryable: "varies",
    meaning:
      "A broker resource the config names does not exist: a Kafka topic, a Pub/Sub topic or subscription, an SQS queue, a RabbitMQ queue or exchange. `details` names the broker, the resource and its name where known.",
    action: "Create it, or let Hookyard create it (the connector's `create` / `createTopics` option).",
  },
  ENDPOINT_UNKNOWN: {
    retryable: false,
    meaning: "An event was routed to an endpoint id the scheduler does not know.",
    action: "Define the endpoint (config or admin API) before routing to it; the config loader checks subscriptions.",
  },
  ENVELOPE_INVALID: {
    retryable: false,
    meaning: "An event cannot become a valid envelope (missing or overlong id or type, bad time, control characters).",
    action: "Fix the producer or the source's `mapping`; broker messages like this go to the rejected log.",
  },
  HISTORY_UNAVAILABLE: {
    retryable: true,
    meaning: "The history store (PostgreSQL) cannot be reached, or refused a query or write for now.",
    action:
      "Deliveries go on: settled records wait in the Redis outbox (bounded) and are written once it is back; admin lists answer 503 meanwhile. Check PostgreSQL.",
  },
  HISTORY_FAILED: {
    retryable: false,
    meaning: "The history store (PostgreSQL) refused a query or write that will not succeed if retried.",
    action: "Read the message (it carries the SQLSTATE); report it if it is not a permissions or schema problem.",
  },
  HISTORY_MIGRATION_CHANGED: {
    retryable: false,
    meaning: "A history schema migration was applied with other contents than this Hookyard ships.",
    action:
      "Do not edit shipped migrations; restore the database's schema or run the Hookyard version that applied it.",
  },
  INGEST_INVALID: {
    retryable: false,
    meaning: "A request to the ingest API (`POST /v1/events`, `/v1/events/batch`) is malformed; answered 400.",
    action: "Read the message: it names the field. The request bodies are described in docs/ingest.md.",
  },
  MESSAGE_REJECTED: {
    retryable: false,
    meaning: "A broker message can never be processed (undecodable, failing its mapping, too large).",
    action: "It is kept in the rejected log with its reason (admin API / dashboard) and acked; fix the producer.",
  },
  MESSAGE_TOO_LARGE: {
    retryable: false,
    meaning: "An event is larger than the sink's broker accepts in one message.",
    action: "It is dead-lettered with its size; raise the broker's limit or shrink the event, then replay it.",
  },
  KAFKA_ERROR: {
    retryable: "varies",
    meaning: "Kafka answered with an error not covered by a more specific code; retryable as Kafka says.",
    action: "Read the message (it carries Kafka's error type); retryable ones are retried with backoff.",
  },
  PUBSUB_AUTH_FAILED: {
    retryable: false,
    meaning: "Google Pub/Sub refused the credentials or their IAM roles.",
    action: "Check the service account and its roles (publisher / subscriber) on the topic or subscription.",
  },
  PUBSUB_REJECTED: {
    retryable: false,
    meaning: "Google Pub/Sub rejected a request as invalid (bad argument, failed precondition, already exists).",
    action: "Read the message; usually a resource configured differently from what the config expects.",
  },
  PUBSUB_FAILED: {
    retryable: false,
    meaning: "Google Pub/Sub failed with a status Hookyard does not classify further.",
    action: "Read the message (it carries the gRPC code) and check the Pub/Sub service status.",
  },
  SQS_AUTH_FAILED: {
    retryable: false,
    meaning: "AWS SQS refused the credentials or the IAM policy does not allow the call.",
    action: "Check the access key, secret and the queue's IAM policy.",
  },
  SQS_REJECTED: {
    retryable: false,
    meaning: "AWS SQS rejected a request as invalid.",
    action: "Read the message (it carries the AWS error name).",
  },
  QUERY_INVALID: {
    retryable: false,
    meaning: "A delivery-log query is malformed (e.g. a cursor this store did not return); answered 400.",
    action: "Start again from the first page.",
  },
  REDIS_UNAVAILABLE: {
    retryable: true,
    meaning: "Redis cannot be reached or is still loading; nothing was written.",
    action: "Events are not acknowledged (sources redeliver, the ingest API answers 503); check Redis.",
  },
  STORE_TIMEOUT: {
    retryable: true,
    meaning:
      "An ingest or ingress request's store work (rate limit, de-duplication, enqueue) did not finish within server.storeTimeout; answered 503 with Retry-After.",
    action: "The sender retries (a late write is de-duplicated by the event id); check that Redis answers.",
  },
  REDIS_ERROR: {
    retryable: "varies",
    meaning: "Redis answered a command with an error not covered by a more specific code (e.g. a script bug).",
    action: "Read the message; retried with backoff. Report it if it persists.",
  },
  REDIS_FULL: {
    retryable: true,
    meaning:
      "Redis is at `maxmemory` (`noeviction`): it refuses new events while leasing and settling go on and free memory.",
    action:
      "Events are not acknowledged (sources redeliver, the ingest API answers 503); intake resumes by itself as deliveries drain. If it lasts, raise `maxmemory` (sizing: docs/deployment.md) or check that the history hand-off keeps up.",
  },
  REDIS_NOT_REPLICATED: {
    retryable: true,
    meaning:
      "`redis.ackDurability: replicated`: fewer than `redis.ackReplicas` replicas acknowledged the events within `redis.ackReplicaTimeout`.",
    action:
      "The events are on the master and will be delivered, but were not acknowledged: the producer sends them again (de-duplicated). Check the replicas' health and lag; with WAITAOF (Redis 7.2+, Valkey) a replica counts only with appendonly yes, and answers fastest with appendfsync always. On Redis Cluster it concerns the master of the event's shard: after a failover the promoted master has no replica until one follows it again (the old host back, or `redis-cli --cluster add-node <new> <any> --cluster-slave`); the other masters' shards are not affected.",
  },
  SINK_PARTIAL_FAILURE: {
    retryable: "varies",
    meaning: "A sink's broker confirmed some messages of a batch and refused others; `details.failed` names them.",
    action: "Nothing to do: only the failed items are retried or dead-lettered, each by its own error.",
  },
  SINK_STOPPED: {
    retryable: true,
    meaning: "A sink was asked to publish while it is stopping.",
    action: "Nothing to do: the delivery is retried by the scheduler after the restart.",
  },
  SINK_TIMEOUT: {
    retryable: true,
    meaning: "The sink's broker did not confirm a publish within the sink's `sendTimeout`.",
    action: "Retried with backoff; check the broker's health if it persists.",
  },
  SINK_UNKNOWN: {
    retryable: false,
    meaning: "A queued ingress event names a sink this instance does not run (removed from the config).",
    action: "The delivery is dead-lettered: put the sink back in the config and replay it.",
  },
  SOURCE_STATE: {
    retryable: false,
    meaning: "A source was started twice, or used after it stopped: a programming error in the caller.",
    action: "Report it; a connector must be started once.",
  },
  SOURCE_STOPPED: {
    retryable: false,
    meaning: "A source was stopped while it was still starting.",
    action: "Nothing to do during shutdown.",
  },
  SSRF_BLOCKED: {
    retryable: false,
    meaning: "An endpoint URL resolves to a loopback, private, link-local or metadata address.",
    action: "Use a public address, or allow the range with `egress.allowCidrs` when it is meant to be internal.",
  },
  STORE_CLOSED: {
    retryable: true,
    meaning: "The scheduler store was used after it was closed (during shutdown).",
    action: "Nothing to do: events not yet durable were not acknowledged and are redelivered.",
  },
  STORE_CORRUPT: {
    retryable: false,
    meaning: "The scheduler found a delivery without its envelope.",
    action: "Report it with the delivery id; the delivery is dead-lettered rather than retried forever.",
  },
  UNROUTABLE: {
    retryable: false,
    meaning: "RabbitMQ returned a published message: no queue is bound for its routing key.",
    action: "Bind a queue to the exchange for that routing key, or change the sink's routing key.",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes of the HTTP APIs' error answers (`{ "error": { "code", "message", "details"? } }`): the status each is
 * sent with, what it means and what a client does.
 */
export interface ApiErrorCodeInfo {
  readonly status: number;
  readonly meaning: string;
  readonly action: string;
}

export const API_ERROR_CODES = {
  INVALID_REQUEST: {
    status: 400,
    meaning: "The admin API request is malformed (bad JSON, a bad field, an unknown query parameter).",
    action: "Read the message and `details`; do not retry unchanged.",
  },
  BAD_REQUEST: {
    status: 400,
    meaning: "An ingest or ingress request could not be read (e.g. a malformed body or header).",
    action: "Fix the request; do not retry unchanged.",
  },
  INGEST_INVALID: {
    status: 400,
    meaning: "An ingest API event is malformed; the message names the field (docs/ingest.md).",
    action: "Fix the event; do not retry unchanged.",
  },
  PAYLOAD_INVALID: {
    status: 422,
    meaning:
      "An ingest API event's payload does not match its event type's JSON Schema (the type is validated `reject`); the message names the type and the failing JSONPath.",
    action:
      "Fix the payload (GET /admin/v1/event-types/{name} shows the schema and an example); do not retry unchanged.",
  },
  UNAUTHORIZED: {
    status: 401,
    meaning: "No valid API key or portal token (`Authorization: Bearer <key>` or `X-Api-Key`).",
    action: "Send a key from the config (`ingest.apiKeys`, `admin.apiKeys`) or a fresh portal token.",
  },
  TOKEN_EXPIRED: {
    status: 401,
    meaning: "The portal token has expired.",
    action: "Ask the operator's application for a new portal link.",
  },
  UNVERIFIED: {
    status: 401,
    meaning: "An inbound webhook's signature, key or timestamp did not verify.",
    action: "Check the route's verifier secret; the rejected log has the reason (never the secret).",
  },
  FORBIDDEN: {
    status: 403,
    meaning: "The caller may not do this: a portal token outside its owner, or an address outside the route's CIDRs.",
    action: "Use an admin key, or call from an allowed address.",
  },
  NOT_FOUND: {
    status: 404,
    meaning: "No such route, endpoint, subscription or delivery (or not visible to this portal token).",
    action: "Check the id or path.",
  },
  CONFLICT: {
    status: 409,
    meaning:
      "An endpoint, subscription or event type with this id exists already (ids of deleted endpoints are not reused).",
    action: "Pick another id, or update the existing one.",
  },
  READ_ONLY: {
    status: 409,
    meaning:
      "The endpoint, subscription or event type comes from the config file and cannot be changed through the API.",
    action: "Change the config file instead.",
  },
  ENDPOINT_BUSY: {
    status: 409,
    meaning: "The endpoint still has queued or in-flight deliveries, so it was not deleted; the details count them.",
    action:
      "Wait for them to be delivered, or delete with `?force=true` to dead-letter them with reason `endpoint deleted`.",
  },
  NOT_SETTLED: {
    status: 409,
    meaning: "Only delivered or dead deliveries can be retried.",
    action: "Wait for the delivery to settle.",
  },
  PORTAL_DISABLED: {
    status: 409,
    meaning: "Portal tokens cannot be issued: no `admin.portal.signingKey` in the config.",
    action: "Set `admin.portal.signingKey`.",
  },
  IN_PROGRESS: {
    status: 409,
    meaning: "An inbound webhook with this event id is being processed by another request.",
    action: "Retry later (providers do): it is answered 200 once the first copy is durable.",
  },
  RELOAD_UNAVAILABLE: {
    status: 409,
    meaning: "This instance was not started from a config file it can re-read (it was started programmatically).",
    action: "Restart the instance with the new config instead.",
  },
  CONFIG_INVALID: {
    status: 422,
    meaning:
      "A config reload read a file that is invalid: `details.problems` lists every problem exactly as `hookyard validate` prints them. The running config stays.",
    action: "Fix the file (`hookyard validate -c FILE`) and reload again.",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: "The body is larger than the route accepts (`ingest.maxBodyBytes`, a route's `maxBodyBytes`).",
    action: "Send a smaller body, or raise the limit.",
  },
  RATE_LIMITED: {
    status: 429,
    meaning: "The route's rate limit is exhausted.",
    action: "Retry after the `Retry-After` seconds.",
  },
  INTERNAL: {
    status: 500,
    meaning: "An unexpected error; it is logged with its stack.",
    action: "Retry; report it with the log line if it persists.",
  },
  UNAVAILABLE: {
    status: 503,
    meaning: "The event could not be made durable (Redis unavailable, shutting down): it was NOT accepted.",
    action: "Retry after `Retry-After` with the same event id (it is de-duplicated).",
  },
  OVER_CAPACITY: {
    status: 503,
    meaning: "Too many requests in progress on this ingress route.",
    action: "Retry after `Retry-After`.",
  },
  DASHBOARD_NOT_BUILT: {
    status: 503,
    meaning: "The dashboard's files are missing from this build.",
    action: "Run `npm run build` in packages/admin (the Docker image has them).",
  },
} as const satisfies Record<string, ApiErrorCodeInfo>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;
