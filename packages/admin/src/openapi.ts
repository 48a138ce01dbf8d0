/**
 * Hookyard's OpenAPI 3.1 document — the admin API and the ingest API — served at /admin/v1/openapi.json. Tests
 * validate it, check that it and the registered routes match both ways (every route documented, every documented
 * operation served), and that every operation has an operationId and a tag; packages/client is generated from it.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): Schema => ({ type: "string", ...(description ? { description } : {}) });
const time: Schema = { type: "string", format: "date-time" };
const list = (item: Schema): Schema => ({
  type: "object",
  required: ["data"],
  properties: { data: { type: "array", items: item }, nextCursor: str("Pass as `cursor` for the next page.") },
});

const errors = {
  "400": { $ref: "#/components/responses/Error" },
  "401": { $ref: "#/components/responses/Error" },
  "404": { $ref: "#/components/responses/Error" },
};
const json = (schema: Schema, description = "OK") => ({ description, content: { "application/json": { schema } } });
const body = (schema: Schema) => ({ required: true, content: { "application/json": { schema } } });
const pathId = (name = "id") => ({ name, in: "path", required: true, schema: { type: "string" } });
const queryParam = (name: string, description: string, schema: Schema = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

function op(summary: string, tag: string, responses: Record<string, unknown>, extra: Schema = {}) {
  return { summary, tags: [tag], responses: { ...responses, ...errors }, ...extra };
}

/** Where the admin API is mounted; the document's paths are absolute (the ingest API is beside it). */
export const ADMIN_PREFIX = "/admin/v1";

/** operationId of every admin operation, by path (below ADMIN_PREFIX) and method: one stable name each. */
const OPERATION_IDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "/openapi.json": { get: "getOpenApiDocument" },
  "/branding": { get: "getBranding" },
  "/me": { get: "getMe" },
  "/owners": { get: "listOwners" },
  "/endpoints": { get: "listEndpoints", post: "createEndpoint" },
  "/endpoints/{id}": { get: "getEndpoint", patch: "updateEndpoint", delete: "deleteEndpoint" },
  "/endpoints/{id}/enable": { post: "enableEndpoint" },
  "/endpoints/{id}/disable": { post: "disableEndpoint" },
  "/endpoints/{id}/rotate-secret": { post: "rotateEndpointSecret" },
  "/endpoints/{id}/test": { post: "sendTestEvent" },
  "/endpoints/{id}/secret": { get: "revealEndpointSecret" },
  "/endpoints/{id}/health": { get: "getEndpointHealth" },
  "/endpoints/{id}/dead-letters": { get: "listDeadLetters" },
  "/endpoints/{id}/dead-letters/replay": { post: "replayDeadLetters" },
  "/subscriptions": { get: "listSubscriptions", post: "createSubscription" },
  "/subscriptions/{id}": { get: "getSubscription", patch: "updateSubscription", delete: "deleteSubscription" },
  "/event-types": { get: "listEventTypes", post: "createEventType" },
  "/event-types/{name}": { get: "getEventType", patch: "updateEventType", delete: "deleteEventType" },
  "/deliveries": { get: "listDeliveries" },
  "/queues": { get: "listLiveQueues" },
  "/deliveries/{id}": { get: "getDelivery" },
  "/deliveries/{id}/attempts": { get: "listAttempts" },
  "/deliveries/{id}/retry": { post: "retryDelivery" },
  "/events/{eventId}": { get: "getEvent" },
  "/replay-jobs": { get: "listReplayJobs", post: "createReplayJob" },
  "/replay-jobs/{id}": { get: "getReplayJob" },
  "/stats/deliveries": { get: "getDeliveryStats" },
  "/portal-tokens": { post: "createPortalToken" },
  "/audit": { get: "listAuditEntries" },
  "/rejected": { get: "listRejected" },
  "/config": { get: "getConfig" },
  "/config/reload": { post: "reloadConfig" },
};

export function openApiDocument(): Schema {
  return {
    openapi: "3.1.0",
    info: {
      title: "Hookyard API",
      version: "1.0.0",
      description:
        "The ingest API (`/v1/events`: publish events over HTTP, with an ingest API key) and the admin API " +
        "(`/admin/v1`: endpoints, subscriptions, the event-type catalogue, deliveries, replay and the audit log, " +
        "with an admin API key or a portal token). Send keys as `Authorization: Bearer …` (or `X-Api-Key`); a " +
        "portal token sees one owner's endpoints and deliveries only, and a read-only one changes nothing. " +
        "Lists use cursor pagination (`limit`, `cursor` → `nextCursor`). Errors: `{ error: { code, message, details? } }`.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "The Hookyard server" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: [
      { name: "ingest", description: "Publish events over HTTP" },
      { name: "endpoints", description: "Customer endpoints: URL, secret, policy, health" },
      { name: "subscriptions", description: "Which event types go to which endpoints" },
      { name: "event types", description: "The event-type catalogue: docs, schemas, examples" },
      { name: "deliveries", description: "The delivery log, attempts, retries and dead letters" },
      { name: "replay", description: "Bulk replay jobs" },
      { name: "portal", description: "Customer portal links and branding" },
      { name: "audit", description: "The audit log and rejected messages" },
      { name: "meta", description: "This document and the caller" },
      { name: "config", description: "The running config file and reloading it" },
    ],
    paths: { ...adminPaths(), ...ingestPaths() },
    components: components(),
  };
}

/** The admin operations, mounted under ADMIN_PREFIX, each with its operationId. */
function adminPaths(): Record<string, Record<string, Schema>> {
  const paths = adminOperations();
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      `${ADMIN_PREFIX}${path}`,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => {
          const operationId = OPERATION_IDS[path]?.[method];
          if (operationId === undefined) throw new Error(`openapi: no operationId for ${method} ${path}`);
          return [method, { operationId, ...operation }];
        }),
      ),
    ]),
  );
}

function adminOperations(): Record<string, Record<string, Schema>> {
  const endpointParam = { parameters: [pathId()] };
  return {
    "/openapi.json": {
      get: { summary: "This document", tags: ["meta"], security: [], responses: { "200": json({ type: "object" }) } },
    },
    "/branding": {
      get: {
        summary: "The portal's branding (operator name, logo, colours, theme) and embedding origins; public",
        tags: ["portal"],
        security: [],
        responses: { "200": json(ref("Branding")) },
      },
    },
    "/me": { get: op("Who the credential belongs to", "meta", { "200": json(ref("Me")) }) },
    "/owners": { get: op("Owners (customers) with endpoints", "meta", { "200": json(list(str())) }) },
    "/endpoints": {
      get: op(
        "List endpoints",
        "endpoints",
        { "200": json(list(ref("Endpoint"))) },
        {
          parameters: [
            queryParam("owner", "Only this owner's"),
            queryParam("limit", "Page size (1-500)", { type: "integer" }),
            queryParam("cursor", "From nextCursor"),
          ],
        },
      ),
      post: op(
        "Create an endpoint (its signing secret is returned once)",
        "endpoints",
        {
          "201": json(
            {
              type: "object",
              required: ["endpoint", "secret"],
              properties: { endpoint: ref("Endpoint"), secret: str("whsec_…") },
            },
            "Created",
          ),
          "409": { $ref: "#/components/responses/Error" },
        },
        { requestBody: body(ref("EndpointInput")) },
      ),
    },
    "/endpoints/{id}": {
      get: op("Get an endpoint", "endpoints", { "200": json(ref("Endpoint")) }, endpointParam),
      patch: op(
        "Update an API-created endpoint (URL, event types, headers, policy)",
        "endpoints",
        {
          "200": json(ref("Endpoint")),
          "409": { $ref: "#/components/responses/Error" },
        },
        { ...endpointParam, requestBody: body(ref("EndpointPatch")) },
      ),
      delete: op(
        "Delete an API-created endpoint. Refused (409 ENDPOINT_BUSY) while deliveries are queued or in flight, unless force=true: then they are dead-lettered with reason `endpoint deleted`. The id is never reused.",
        "endpoints",
        {
          "200": json({
            type: "object",
            required: ["id", "deletedAt", "deadLettered", "inFlight"],
            properties: {
              id: str(),
              deletedAt: time,
              deadLettered: { type: "integer", description: "Queued deliveries that will be dead-lettered" },
              inFlight: { type: "integer", description: "Attempts under way; a retry of theirs is dead-lettered" },
            },
          }),
          "409": { $ref: "#/components/responses/Error" },
        },
        {
          parameters: [
            pathId(),
            queryParam("force", "true: dead-letter queued deliveries instead of refusing", {
              type: "string",
              enum: ["true", "false"],
            }),
          ],
        },
      ),
    },
    "/endpoints/{id}/enable": {
      post: op(
        "Enable (also resets the breaker, makes queued deliveries due)",
        "endpoints",
        { "200": json(ref("Health")) },
        endpointParam,
      ),
    },
    "/endpoints/{id}/disable": {
      post: op("Disable (deliveries stay queued)", "endpoints", { "200": json(ref("Health")) }, endpointParam),
    },
    "/endpoints/{id}/rotate-secret": {
      post: op(
        "Rotate the signing secret; old secrets keep signing until the grace ends",
        "endpoints",
        {
          "200": json({
            type: "object",
            properties: { endpoint: ref("Endpoint"), secret: str(), previousSecretsExpireAt: time },
          }),
          "409": { $ref: "#/components/responses/Error" },
        },
        {
          ...endpointParam,
          requestBody: {
            required: false,
            content: {
              "application/json": {
                schema: { type: "object", properties: { graceSeconds: { type: "number", minimum: 0 } } },
              },
            },
          },
        },
      ),
    },
    "/endpoints/{id}/test": {
      post: op(
        "Send a test event to the endpoint",
        "endpoints",
        {
          "202": json({ type: "object", properties: { eventId: str(), deliveryId: str() } }, "Queued"),
        },
        {
          ...endpointParam,
          requestBody: {
            required: false,
            content: { "application/json": { schema: { type: "object", properties: { type: str(), data: {} } } } },
          },
        },
      ),
    },
    "/endpoints/{id}/secret": {
      get: op(
        "The active signing secrets (manage-level credentials only; audited)",
        "endpoints",
        {
          "200": json({
            type: "object",
            required: ["secrets"],
            properties: {
              secrets: {
                type: "array",
                items: {
                  type: "object",
                  required: ["secret"],
                  properties: { secret: str("whsec_… or whsk_…"), expiresAt: time },
                },
              },
            },
          }),
          "403": { $ref: "#/components/responses/Error" },
        },
        endpointParam,
      ),
    },
    "/endpoints/{id}/health": {
      get: op(
        "Breaker state, success rate, last error, next retry",
        "endpoints",
        { "200": json(ref("Health")) },
        endpointParam,
      ),
    },
    "/endpoints/{id}/dead-letters": {
      get: op(
        "Dead letters, oldest death first",
        "deliveries",
        { "200": json(list(ref("DeliverySummary"))) },
        {
          parameters: [pathId(), queryParam("limit", "At most (1-500)", { type: "integer" })],
        },
      ),
    },
    "/endpoints/{id}/dead-letters/replay": {
      post: op(
        "Queue every dead letter of the endpoint again",
        "deliveries",
        { "200": json({ type: "object", properties: { replayed: { type: "integer" } } }) },
        endpointParam,
      ),
    },
    "/subscriptions": {
      get: op("List subscriptions (config, API and endpoint-implied)", "subscriptions", {
        "200": json(list(ref("Subscription"))),
      }),
      post: op(
        "Create a subscription",
        "subscriptions",
        { "201": json(ref("Subscription"), "Created"), "409": { $ref: "#/components/responses/Error" } },
        { requestBody: body(ref("SubscriptionInput")) },
      ),
    },
    "/subscriptions/{id}": {
      get: op("Get a subscription", "subscriptions", { "200": json(ref("Subscription")) }, endpointParam),
      patch: op(
        "Update an API-created subscription",
        "subscriptions",
        { "200": json(ref("Subscription")), "409": { $ref: "#/components/responses/Error" } },
        { ...endpointParam, requestBody: body(ref("SubscriptionInput")) },
      ),
      delete: op(
        "Delete an API-created subscription",
        "subscriptions",
        { "204": { description: "Deleted" }, "409": { $ref: "#/components/responses/Error" } },
        endpointParam,
      ),
    },
    "/event-types": {
      get: op(
        "The event-type catalogue (everyone may read it)",
        "event types",
        { "200": json(list(ref("EventType"))) },
        {
          parameters: [
            queryParam("group", "Only this group"),
            queryParam("includeDeprecated", "false hides deprecated types", {
              type: "string",
              enum: ["true", "false"],
            }),
          ],
        },
      ),
      post: op(
        "Add an event type (operators only); its schema must compile and its example match it",
        "event types",
        {
          "201": json(ref("EventType"), "Created"),
          "403": { $ref: "#/components/responses/Error" },
          "409": { $ref: "#/components/responses/Error" },
        },
        { requestBody: body(ref("EventTypeInput")) },
      ),
    },
    "/event-types/{name}": {
      get: op(
        "An event type with its schema and example",
        "event types",
        { "200": json(ref("EventType")) },
        {
          parameters: [pathId("name")],
        },
      ),
      patch: op(
        "Change an API-created event type (operators only; null clears a field)",
        "event types",
        {
          "200": json(ref("EventType")),
          "403": { $ref: "#/components/responses/Error" },
          "409": { $ref: "#/components/responses/Error" },
        },
        { parameters: [pathId("name")], requestBody: body(ref("EventTypeInput")) },
      ),
      delete: op(
        "Delete an API-created event type (operators only)",
        "event types",
        {
          "204": { description: "Deleted" },
          "403": { $ref: "#/components/responses/Error" },
          "409": { $ref: "#/components/responses/Error" },
        },
        { parameters: [pathId("name")] },
      ),
    },
    "/deliveries": {
      get: op(
        "The delivery log of settled (delivered and dead) deliveries, from the history store, newest (or oldest) first; a page may be short and still have a nextCursor. Live (queued, leased) deliveries are counted per endpoint (GET /queues) and shown one by one (GET /deliveries/{id})",
        "deliveries",
        { "200": json(list(ref("DeliverySummary"))) },
        {
          parameters: [
            queryParam("endpointId", "One endpoint"),
            queryParam("owner", "One owner's endpoints"),
            queryParam("status", "Delivery status (the log holds delivered and dead ones)", {
              type: "string",
              enum: ["queued", "leased", "delivered", "dead"],
            }),
            queryParam("eventId", "The event id (webhook-id)"),
            queryParam("type", "The event type: exact, or a glob (order.*, order.**)"),
            queryParam("from", "Created at or after (ISO 8601 or ms)"),
            queryParam("to", "Created before (ISO 8601 or ms)"),
            queryParam(
              "payload",
              'Payload search by JSON containment: a JSON fragment ({"customer":{"id":"c_42"}}) or key=value pairs separated by spaces (customer.id=c_42 paid=true; a dotted key is a path, a value is a JSON scalar when it parses as one). Payloads that are not JSON never match',
            ),
            queryParam("order", "newest (default) or oldest first by creation; a cursor is valid with its own order", {
              type: "string",
              enum: ["newest", "oldest"],
            }),
            queryParam("limit", "Page size (1-200)", { type: "integer" }),
            queryParam("cursor", "From nextCursor"),
          ],
        },
      ),
    },
    "/queues": {
      get: op(
        "Live deliveries per endpoint, from the scheduler (the history only has settled ones): endpoints with queued or in-flight deliveries, and what holds them (the circuit breaker, a disabled endpoint). At most 200 endpoints are read; truncated says more exist",
        "deliveries",
        {
          "200": json({
            type: "object",
            required: ["data"],
            properties: {
              data: { type: "array", items: ref("LiveQueue") },
              truncated: { type: "boolean" },
            },
          }),
        },
        { parameters: [queryParam("endpointId", "One endpoint"), queryParam("owner", "One owner's endpoints")] },
      ),
    },
    "/deliveries/{id}": {
      get: op("A delivery with its event", "deliveries", { "200": json(ref("Delivery")) }, endpointParam),
    },
    "/deliveries/{id}/attempts": {
      get: op(
        "Every attempt: request and response headers, body, latency, error",
        "deliveries",
        { "200": json(list(ref("Attempt"))) },
        endpointParam,
      ),
    },
    "/deliveries/{id}/retry": {
      post: op(
        "Queue a delivered or dead delivery again",
        "deliveries",
        {
          "202": json({ type: "object", properties: { deliveryId: str(), status: str() } }, "Queued"),
          "409": { $ref: "#/components/responses/Error" },
        },
        endpointParam,
      ),
    },
    "/events/{eventId}": {
      get: op(
        "An event and its deliveries",
        "deliveries",
        {
          "200": json({
            type: "object",
            properties: { id: str(), type: str(), deliveries: { type: "array", items: ref("DeliverySummary") } },
          }),
        },
        { parameters: [pathId("eventId")] },
      ),
    },
    "/replay-jobs": {
      get: op(
        "Replay jobs, newest first",
        "replay",
        { "200": json(list(ref("ReplayJob"))) },
        { parameters: [queryParam("limit", "At most (1-200)", { type: "integer" })] },
      ),
      post: op(
        "Start a bulk replay (endpoint + time range + status) in the background",
        "replay",
        { "202": json(ref("ReplayJob"), "Started") },
        {
          requestBody: body({
            type: "object",
            required: ["endpointId"],
            properties: {
              endpointId: str(),
              from: str("ISO 8601 or ms"),
              to: str("ISO 8601 or ms"),
              status: { type: "string", enum: ["delivered", "dead"] },
            },
          }),
        },
      ),
    },
    "/replay-jobs/{id}": {
      get: op("A replay job and its progress", "replay", { "200": json(ref("ReplayJob")) }, endpointParam),
    },
    "/stats/deliveries": {
      get: op(
        "Deliveries and latency over time (latest 1,000 deliveries)",
        "deliveries",
        { "200": json({ type: "object", properties: { buckets: { type: "array", items: ref("Bucket") } } }) },
        {
          parameters: [
            queryParam("endpointId", "One endpoint"),
            queryParam("owner", "One owner"),
            queryParam("buckets", "How many (1-200)", { type: "integer" }),
          ],
        },
      ),
    },
    "/portal-tokens": {
      post: op(
        "Issue a portal token for one owner (operators only)",
        "portal",
        {
          "201": json(
            {
              type: "object",
              properties: {
                token: str(),
                owner: str(),
                scope: { type: "string", enum: ["read", "manage"] },
                expiresAt: time,
                dashboardPath: str(),
              },
            },
            "Issued",
          ),
          "403": { $ref: "#/components/responses/Error" },
        },
        {
          requestBody: body({
            type: "object",
            required: ["owner"],
            properties: {
              owner: str(),
              ttlSeconds: { type: "number" },
              scope: { type: "string", enum: ["read", "manage"], description: "Default manage" },
            },
          }),
        },
      ),
    },
    "/audit": {
      get: op(
        "The audit log, newest first (operators only)",
        "audit",
        { "200": json(list(ref("AuditEntry"))), "403": { $ref: "#/components/responses/Error" } },
        { parameters: [queryParam("limit", "At most (1-1000)", { type: "integer" })] },
      ),
    },
    "/rejected": {
      get: op(
        "Rejected source and ingress messages of one origin (operators only)",
        "audit",
        {
          "200": json({
            type: "object",
            properties: { origins: { type: "array", items: str() }, data: { type: "array", items: ref("Rejected") } },
          }),
          "403": { $ref: "#/components/responses/Error" },
        },
        {
          parameters: [
            queryParam("origin", '"source:<id>" or "ingress:<route>"; without it, the origins'),
            queryParam("limit", "At most (1-500)", { type: "integer" }),
          ],
        },
      ),
    },
    "/config": {
      get: op("The running config: its file, content hash and load time (operators only)", "config", {
        "200": json(ref("LoadedConfig")),
        "403": { $ref: "#/components/responses/Error" },
        "409": { $ref: "#/components/responses/Error" },
      }),
    },
    "/config/reload": {
      post: op(
        "Re-read the config file, validate it and apply what can change live; an invalid file changes nothing (operators only)",
        "config",
        {
          "200": json(ref("ConfigReload"), "Applied (or unchanged); restartRequired lists what only a restart applies"),
          "403": { $ref: "#/components/responses/Error" },
          "409": { $ref: "#/components/responses/Error" },
          "422": json(ref("Error"), "CONFIG_INVALID: details.problems as `hookyard validate` prints them"),
          "503": { $ref: "#/components/responses/Error" },
        },
      ),
    },
  };
}

function components(): Schema {
  return {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "An admin API key or a portal token (hyp1.…)" },
      apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
    },
    responses: { Error: json(ref("Error"), "Error") },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: str(), message: str(), details: {} },
          },
        },
      },
      LoadedConfig: {
        type: "object",
        required: ["file", "hash", "loadedAt", "restartRequired"],
        properties: {
          file: str(),
          hash: str("sha256 (hex) of the file's bytes"),
          loadedAt: time,
          restartRequired: { type: "array", items: str(), description: "Changed key paths only a restart applies" },
        },
      },
      ConfigReload: {
        type: "object",
        required: ["result", "problems", "applied", "restartRequired", "config"],
        properties: {
          result: { type: "string", enum: ["applied", "unchanged", "invalid", "failed"] },
          problems: { type: "array", items: str() },
          applied: { type: "array", items: str(), description: "Live parts that changed, e.g. endpoints" },
          restartRequired: { type: "array", items: str() },
          config: ref("LoadedConfig"),
        },
      },
      Me: {
        type: "object",
        properties: {
          kind: { type: "string", enum: ["admin", "portal"] },
          keyId: str(),
          owner: str(),
          scope: { type: "string", enum: ["read", "manage"] },
          expiresAt: time,
        },
      },
      EventType: {
        type: "object",
        required: ["name", "description", "deprecated", "validation", "source"],
        properties: {
          name: str("The envelope type, exact"),
          description: str(),
          group: str(),
          schema: { type: "object", description: "JSON Schema of the payload (2020-12, or draft-07 by $schema)" },
          example: { description: "An example payload" },
          deprecated: { type: "boolean" },
          validation: { type: "string", enum: ["reject", "warn", "off"] },
          source: { type: "string", enum: ["config", "api"] },
          createdAt: time,
          updatedAt: time,
        },
      },
      EventTypeInput: {
        type: "object",
        properties: {
          name: str("Required on create; letters, digits and . _ : -"),
          description: str(),
          group: { type: ["string", "null"] },
          schema: { type: ["object", "null"] },
          example: {},
          deprecated: { type: "boolean" },
          validation: { type: "string", enum: ["reject", "warn", "off"] },
        },
      },
      Endpoint: {
        type: "object",
        required: ["id", "owner", "url", "enabled", "payload", "source"],
        properties: {
          id: str(),
          owner: str(),
          url: str(),
          enabled: { type: "boolean" },
          payload: {
            type: "string",
            enum: ["standard", "raw"],
            description:
              'The request body: "standard" wraps a JSON payload in {"type", "timestamp", "data"}; "raw" sends it as it is',
          },
          source: { type: "string", enum: ["config", "api"] },
          eventTypes: { type: "array", items: str() },
          description: str(),
          headers: { type: "object", additionalProperties: str() },
          secrets: { type: "array", items: { type: "object", properties: { fingerprint: str(), expiresAt: time } } },
          policy: { type: "object" },
          createdAt: time,
          updatedAt: time,
        },
      },
      EndpointInput: {
        type: "object",
        required: ["url"],
        properties: {
          id: str(),
          owner: str("Required for operators; a portal token's owner otherwise"),
          url: str(),
          eventTypes: { type: "array", items: str() },
          description: str(),
          enabled: { type: "boolean" },
          payload: {
            type: "string",
            enum: ["standard", "raw"],
            description:
              'The request body: "standard" wraps a JSON payload in {"type", "timestamp", "data"}; "raw" sends it as it is',
          },
          headers: { type: "object", additionalProperties: str() },
          policy: ref("PolicyInput"),
        },
      },
      EndpointPatch: {
        type: "object",
        properties: {
          url: str(),
          payload: {
            type: "string",
            enum: ["standard", "raw"],
            description:
              'The request body: "standard" wraps a JSON payload in {"type", "timestamp", "data"}; "raw" sends it as it is',
          },

          eventTypes: { type: "array", items: str() },
          description: str(),
          headers: { type: "object", additionalProperties: str() },
          policy: ref("PolicyInput"),
        },
      },
      PolicyInput: {
        type: "object",
        properties: {
          concurrency: { type: "integer", minimum: 1 },
          timeoutMs: { type: "number" },
          orderedByKey: { type: "boolean" },
          rateLimit: {
            type: ["object", "null"],
            properties: { perSecond: { type: "number" }, burst: { type: "number" } },
          },
        },
      },
      Health: {
        type: "object",
        properties: {
          endpointId: str(),
          enabled: { type: "boolean" },
          disabledReason: str(),
          breaker: { type: "string", enum: ["closed", "open", "half-open"] },
          openUntil: time,
          failingSince: time,
          queued: { type: "integer" },
          inFlight: { type: "integer" },
          dead: { type: "integer" },
          sampleSize: { type: "integer" },
          successRate: { type: ["number", "null"] },
          lastError: { type: "object" },
        },
      },
      Subscription: {
        type: "object",
        required: ["id", "endpoints", "types", "enabled", "source"],
        properties: {
          id: str(),
          endpoints: { type: "array", items: str() },
          types: { type: "array", items: str() },
          filter: { type: "object" },
          enabled: { type: "boolean" },
          source: { type: "string", enum: ["config", "api", "endpoint"] },
        },
      },
      SubscriptionInput: {
        type: "object",
        properties: {
          id: str(),
          endpoints: { type: "array", items: str() },
          types: { type: "array", items: str() },
          filter: { type: ["object", "null"] },
          enabled: { type: "boolean" },
        },
      },
      DeliverySummary: {
        type: "object",
        required: ["deliveryId", "endpointId", "status", "attempts", "createdAt"],
        properties: {
          deliveryId: str(),
          messageId: str(),
          endpointId: str(),
          status: { type: "string", enum: ["queued", "leased", "delivered", "dead"] },
          attempts: { type: "integer" },
          createdAt: time,
          eventId: str(),
          type: str(),
          deadReason: str(),
          lastAttempt: ref("Attempt"),
        },
      },
      Delivery: {
        type: "object",
        properties: {
          deliveryId: str(),
          messageId: str(),
          endpointId: str(),
          status: str(),
          attempts: { type: "integer" },
          createdAt: time,
          dueAt: time,
          deadReason: str(),
          hold: ref("Hold"),
          event: {
            type: "object",
            properties: {
              id: str(),
              type: str(),
              source: str(),
              time: str(),
              contentType: str(),
              headers: { type: "object" },
              data: str(),
              dataBase64: str(),
            },
          },
        },
      },
      Attempt: {
        type: "object",
        properties: {
          startedAt: time,
          durationMs: { type: "number" },
          status: { type: "integer" },
          errorClass: str(),
          errorMessage: str(),
          requestHeaders: { type: "object", additionalProperties: str() },
          responseHeaders: { type: "object", additionalProperties: str() },
          responseBody: str(),
          responseBodyTruncated: { type: "boolean" },
        },
      },
      ReplayJob: {
        type: "object",
        properties: {
          id: str(),
          owner: str(),
          endpointId: str(),
          from: time,
          to: time,
          status: str(),
          state: { type: "string", enum: ["running", "done", "failed"] },
          stalled: { type: "boolean" },
          scanned: { type: "integer" },
          replayed: { type: "integer" },
          createdAt: time,
          updatedAt: time,
          finishedAt: time,
          error: str(),
        },
      },
      Hold: {
        type: "object",
        description: "What keeps a queued delivery from being sent now",
        required: ["heldBy", "reason"],
        properties: {
          heldBy: { type: "string", enum: ["breaker", "disabled"] },
          reason: str(),
          until: { ...time, description: "When the open breaker lets a probe through" },
        },
      },
      LiveQueue: {
        type: "object",
        required: ["endpointId", "queued", "inFlight", "breaker"],
        properties: {
          endpointId: str(),
          queued: { type: "integer" },
          inFlight: { type: "integer" },
          breaker: { type: "string", enum: ["closed", "open", "half-open"] },
          hold: ref("Hold"),
        },
      },
      Bucket: {
        type: "object",
        properties: {
          start: time,
          end: time,
          delivered: { type: "integer" },
          failed: { type: "integer" },
          pending: { type: "integer" },
          latencyAvgMs: { type: ["number", "null"] },
          latencyP95Ms: { type: ["number", "null"] },
        },
      },
      AuditEntry: {
        type: "object",
        properties: {
          id: str(),
          at: { type: "integer" },
          actor: { type: "object", properties: { kind: str(), id: str() } },
          action: str(),
          target: { type: "object", properties: { kind: str(), id: str() } },
          before: {},
          after: {},
        },
      },
      Rejected: {
        type: "object",
        properties: {
          origin: str(),
          reason: str(),
          at: time,
          headers: { type: "object" },
          dataBase64: str(),
          size: { type: "integer" },
          idempotencyKey: str(),
        },
      },
      Branding: {
        type: "object",
        required: ["theme", "frameAncestors"],
        properties: {
          name: str("The operator's name, e.g. Acme Webhooks"),
          logoUrl: str(),
          colors: { type: "object", properties: { accent: str(), background: str(), text: str() } },
          theme: { type: "string", enum: ["light", "dark", "auto"] },
          frameAncestors: {
            type: "array",
            items: str(),
            description: "Origins that may embed the portal (it posts its height to them)",
          },
        },
      },
      IngestEvent: {
        type: "object",
        required: ["type"],
        additionalProperties: false,
        properties: {
          type: str('The event type, e.g. "invoice.paid"'),
          id: str("Stable event id (becomes webhook-id; a repeat is de-duplicated). Default: a random UUID"),
          data: { description: "The payload, sent as its compact JSON" },
          dataBase64: str("The payload as exact bytes (instead of data)"),
          contentType: str("Default application/json (application/octet-stream with dataBase64)"),
          key: str("Ordering key (per-key FIFO endpoints)"),
          subject: str(),
          time: { type: "string", format: "date-time" },
          headers: { type: "object", additionalProperties: str() },
        },
      },
      IngestResult: {
        type: "object",
        required: ["id", "deliveries", "duplicate"],
        properties: {
          id: str(),
          deliveries: { type: "integer", description: "Endpoint deliveries queued" },
          duplicate: { type: "boolean", description: "The id was accepted before; its first result" },
        },
      },
    },
  };
}

/** The ingest API (packages/runtime, `ingest.enabled`): its key is an ingest API key, not an admin one. */
function ingestPaths(): Record<string, Record<string, Schema>> {
  const refused = {
    "400": { $ref: "#/components/responses/Error" },
    "401": { $ref: "#/components/responses/Error" },
    "413": { $ref: "#/components/responses/Error" },
    "422": json(ref("Error"), "The payload does not match its event type's schema (PAYLOAD_INVALID)"),
    "503": json(ref("Error"), "Not made durable, NOT accepted: retry after Retry-After with the same id"),
  };
  return {
    "/v1/events": {
      post: {
        operationId: "publishEvent",
        summary: "Publish one event; 202 once it is durable for every subscribed endpoint",
        description:
          "A JSON event, or a CloudEvents binary-mode request (a `ce-type` header; the body is the payload, byte-exact).",
        tags: ["ingest"],
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: ref("IngestEvent") },
            "application/octet-stream": { schema: { type: "string", contentEncoding: "binary" } },
          },
        },
        responses: { "202": json(ref("IngestResult"), "Accepted (durable)"), ...refused },
      },
    },
    "/v1/events/batch": {
      post: {
        operationId: "publishEvents",
        summary: "Publish several events; all are accepted or none (the error names the bad one)",
        tags: ["ingest"],
        requestBody: body({
          type: "object",
          required: ["events"],
          properties: { events: { type: "array", minItems: 1, items: ref("IngestEvent") } },
        }),
        responses: {
          "202": json(
            {
              type: "object",
              required: ["events"],
              properties: { events: { type: "array", items: ref("IngestResult") } },
            },
            "Accepted (durable)",
          ),
          ...refused,
        },
      },
    },
  };
}
