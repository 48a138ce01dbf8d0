/**
 * The admin API's OpenAPI 3.1 document, served at /admin/v1/openapi.json. A test validates it and checks that
 * every route the plugin registers is described here.
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

export function openApiDocument(): Schema {
  const endpointParam = { parameters: [pathId()] };
  return {
    openapi: "3.1.0",
    info: {
      title: "Hookyard admin API",
      version: "1.0.0",
      description:
        "Endpoints, subscriptions, deliveries, replay and the audit log. Authenticate with an admin API key or a " +
        "portal token (`Authorization: Bearer …`); a portal token sees one owner's endpoints and deliveries only. " +
        "Lists use cursor pagination (`limit`, `cursor` → `nextCursor`). Errors: `{ error: { code, message, details? } }`.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/admin/v1" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      "/openapi.json": {
        get: { summary: "This document", tags: ["meta"], security: [], responses: { "200": json({ type: "object" }) } },
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
      "/deliveries": {
        get: op(
          "The delivery log of settled (delivered and dead) deliveries, from the history store, newest first; a page may be short and still have a nextCursor. Live (queued, leased) deliveries are counted per endpoint (health) and shown one by one (GET /deliveries/{id})",
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
              queryParam("limit", "Page size (1-200)", { type: "integer" }),
              queryParam("cursor", "From nextCursor"),
            ],
          },
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
              { type: "object", properties: { token: str(), owner: str(), expiresAt: time, dashboardPath: str() } },
              "Issued",
            ),
            "403": { $ref: "#/components/responses/Error" },
          },
          {
            requestBody: body({
              type: "object",
              required: ["owner"],
              properties: { owner: str(), ttlSeconds: { type: "number" } },
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
    },
    components: {
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
        Me: {
          type: "object",
          properties: {
            kind: { type: "string", enum: ["admin", "portal"] },
            keyId: str(),
            owner: str(),
            expiresAt: time,
          },
        },
        Endpoint: {
          type: "object",
          required: ["id", "owner", "url", "enabled", "source"],
          properties: {
            id: str(),
            owner: str(),
            url: str(),
            enabled: { type: "boolean" },
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
            headers: { type: "object", additionalProperties: str() },
            policy: ref("PolicyInput"),
          },
        },
        EndpointPatch: {
          type: "object",
          properties: {
            url: str(),
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
        Bucket: {
          type: "object",
          properties: {
            start: time,
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
      },
    },
  };
}
