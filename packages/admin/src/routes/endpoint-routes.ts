import { randomBytes } from "node:crypto";
import { createEnvelope, type Endpoint, type EndpointPolicy, type PayloadFormat } from "@hookyard/core";
import { generateSecret, validateEndpoint } from "@hookyard/delivery";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, invalid } from "../api-error.js";
import { endpointHealth } from "../health.js";
import type { ManagedEndpoint } from "../state/endpoint-registry.js";
import type { StoredEndpoint } from "../state/records.js";
import { endpointView } from "../views.js";
import type { RouteContext } from "./context.js";
import { bodyOf, checkId, limitParam, optionalString, paramOf, queryOf, stringList } from "./params.js";

const DAY = 24 * 60 * 60 * 1000;

/** Endpoints: list, get, create, update, enable/disable, rotate secret, test event, health, dead letters. */
export function registerEndpointRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry } = ctx.deps;

  app.get("/endpoints", async (request) => {
    const query = queryOf(request);
    const limit = limitParam(query.limit, 100, 500);
    const visible = ctx.visibleEndpointIds(request, query.owner);
    const all = registry
      .list()
      .filter((m) => visible === undefined || visible.includes(m.endpoint.id))
      .sort((a, b) => (a.endpoint.id < b.endpoint.id ? -1 : 1));
    const after = query.cursor;
    const page = all.filter((m) => after === undefined || m.endpoint.id > after).slice(0, limit);
    const last = page[page.length - 1];
    const more = last !== undefined && all.some((m) => m.endpoint.id > last.endpoint.id);
    return { data: page.map(endpointView), ...(more ? { nextCursor: last.endpoint.id } : {}) };
  });

  app.get("/endpoints/:id", async (request) => endpointView(ctx.endpointFor(request, paramOf(request, "id"))));

  app.post("/endpoints", async (request, reply) => {
    const body = bodyOf(request);
    const who = ctx.principal(request);
    const owner = who.kind === "portal" ? who.owner : optionalString(body, "owner", 256);
    if (owner === undefined || owner === "") throw invalid("owner is required");
    if (who.kind === "portal" && body.owner !== undefined && body.owner !== who.owner) {
      throw new ApiError(403, "FORBIDDEN", "a portal token manages its own owner's endpoints only");
    }
    const id = checkId(optionalString(body, "id") ?? `ep_${randomBytes(8).toString("hex")}`, "id");
    if (registry.managed(id) !== undefined) throw new ApiError(409, "CONFLICT", `endpoint ${id} exists`);
    if (registry.isDeleted(id)) {
      throw new ApiError(409, "CONFLICT", `endpoint ${id} was deleted; ids are not reused (its dead letters keep it)`);
    }
    const secret = generateSecret();
    const at = ctx.now();
    const endpoint: Endpoint = {
      id,
      owner,
      url: requiredUrl(body),
      secrets: [{ secret }],
      headers: headersOf(body) ?? {},
      enabled: body.enabled !== false,
      policy: policyOf(body, ctx.deps.defaultPolicy),
      payload: payloadOf(body) ?? "standard",
    };
    validateEndpoint(endpoint, at);
    await ctx.checkUrl(endpoint.url);
    const description = optionalString(body, "description", 1024);
    const record: StoredEndpoint = {
      endpoint,
      eventTypes: stringList(body, "eventTypes") ?? [],
      ...(description === undefined ? {} : { description }),
      createdAt: at,
      updatedAt: at,
    };
    if (!(await registry.createEndpoint(record))) throw new ApiError(409, "CONFLICT", `endpoint ${id} exists`);
    const view = endpointView({ ...record, source: "api" });
    await ctx.audit.record(who, "endpoint.create", { kind: "endpoint", id }, { after: view });
    // The secret is shown once, here and after a rotation; the API never returns it again.
    return reply.code(201).send({ endpoint: view, secret });
  });

  app.patch("/endpoints/:id", async (request) => {
    const managed = apiEndpoint(ctx.endpointFor(request, paramOf(request, "id")));
    const body = bodyOf(request);
    const url = body.url === undefined ? managed.endpoint.url : requiredUrl(body);
    const headers = headersOf(body);
    const eventTypes = stringList(body, "eventTypes");
    const description = optionalString(body, "description", 1024);
    const payload = payloadOf(body);
    const endpoint: Endpoint = {
      ...managed.endpoint,
      url,
      ...(headers === undefined ? {} : { headers }),
      ...(payload === undefined ? {} : { payload }),
      ...(body.policy === undefined ? {} : { policy: policyOf(body, managed.endpoint.policy) }),
    };
    validateEndpoint(endpoint, ctx.now());
    if (url !== managed.endpoint.url) await ctx.checkUrl(url);
    return save(request, managed, endpoint, "endpoint.update", {
      ...(eventTypes === undefined ? {} : { eventTypes }),
      ...(description === undefined ? {} : { description }),
    });
  });

  for (const action of ["enable", "disable"] as const) {
    app.post(`/endpoints/:id/${action}`, async (request) => {
      const managed = ctx.endpointFor(request, paramOf(request, "id"));
      const id = managed.endpoint.id;
      const before = await ctx.store.getEndpointState(id, ctx.now());
      await ctx.store.setEndpointEnabled(id, action === "enable", ctx.now());
      // An API endpoint created disabled is enabled in its own record too (config ones only at runtime).
      if (action === "enable" && managed.source === "api" && !managed.endpoint.enabled) {
        await save(request, managed, { ...managed.endpoint, enabled: true }, "endpoint.update", {});
      }
      const after = await ctx.store.getEndpointState(id, ctx.now());
      await ctx.audit.record(
        ctx.principal(request),
        `endpoint.${action}`,
        { kind: "endpoint", id },
        {
          before: { enabled: before.enabled, disabledReason: before.disabledReason ?? null },
          after: { enabled: after.enabled, disabledReason: after.disabledReason ?? null },
        },
      );
      return endpointHealth(ctx.store, ctx.log, id, ctx.now());
    });
  }

  app.post("/endpoints/:id/rotate-secret", async (request) => {
    const managed = apiEndpoint(ctx.endpointFor(request, paramOf(request, "id")));
    const body = bodyOf(request);
    const graceSeconds = body.graceSeconds;
    if (
      graceSeconds !== undefined &&
      (typeof graceSeconds !== "number" || graceSeconds < 0 || graceSeconds > 30 * 86400)
    ) {
      throw invalid("graceSeconds must be a number from 0 to 2592000");
    }
    const at = ctx.now();
    const graceMs = graceSeconds === undefined ? (ctx.deps.settings.secretGraceMs ?? DAY) : graceSeconds * 1000;
    const expiresAt = new Date(at + graceMs).toISOString();
    const secret = generateSecret();
    // Old secrets keep signing until the grace ends (receivers accept any valid signature); expired ones go.
    const kept = managed.endpoint.secrets
      .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > at)
      .map((s) => (s.expiresAt !== undefined && s.expiresAt < expiresAt ? s : { secret: s.secret, expiresAt }));
    const endpoint: Endpoint = { ...managed.endpoint, secrets: [{ secret }, ...kept] };
    const view = await save(request, managed, endpoint, "endpoint.rotate-secret", {});
    return { endpoint: view, secret, previousSecretsExpireAt: expiresAt };
  });

  /** The current signing secrets, for a customer setting up verification. Manage-level only, and audited. */
  app.get("/endpoints/:id/secret", async (request) => {
    const managed = ctx.endpointFor(request, paramOf(request, "id"));
    const who = ctx.principal(request);
    if (who.kind === "portal" && who.scope !== "manage") {
      throw new ApiError(403, "FORBIDDEN", "a read-only portal link cannot reveal signing secrets");
    }
    const at = ctx.now();
    const active = managed.endpoint.secrets.filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > at);
    await ctx.audit.record(who, "endpoint.reveal-secret", { kind: "endpoint", id: managed.endpoint.id });
    return {
      secrets: active.map((s) => ({
        secret: s.secret,
        ...(s.expiresAt === undefined ? {} : { expiresAt: s.expiresAt }),
      })),
    };
  });

  app.post("/endpoints/:id/test", async (request, reply) => {
    const managed = ctx.endpointFor(request, paramOf(request, "id"));
    const body = bodyOf(request);
    const type = optionalString(body, "type", 256) ?? "hookyard.test";
    const eventId = `evt_test_${randomBytes(8).toString("hex")}`;
    const envelope = createEnvelope({
      id: eventId,
      source: "hookyard:admin",
      type,
      data: JSON.stringify(body.data ?? { test: true, endpointId: managed.endpoint.id }),
    });
    const result = await ctx.store.enqueue({ envelope, endpointIds: [managed.endpoint.id], now: ctx.now() });
    await ctx.audit.record(
      ctx.principal(request),
      "endpoint.test",
      { kind: "endpoint", id: managed.endpoint.id },
      {
        after: { eventId, deliveryId: result.deliveryIds[0] },
      },
    );
    return reply.code(202).send({ eventId, deliveryId: result.deliveryIds[0] });
  });

  /**
   * Delete: refused (409 ENDPOINT_BUSY) while deliveries are queued or in flight, unless `?force=true`; then
   * those deliveries are dead-lettered with reason "endpoint deleted" (kept with their events) as the worker
   * reaches them, and the endpoint stays behind as a tombstone whose id is never reused.
   */
  app.delete("/endpoints/:id", async (request) => {
    const managed = apiEndpoint(ctx.endpointFor(request, paramOf(request, "id")));
    const id = managed.endpoint.id;
    const force = queryOf(request).force === "true";
    const state = await ctx.store.getEndpointState(id, ctx.now());
    const pending = { queued: state.queued, inFlight: state.inFlight };
    if (!force && pending.queued + pending.inFlight > 0) {
      throw new ApiError(
        409,
        "ENDPOINT_BUSY",
        `endpoint ${id} has ${pending.queued} queued and ${pending.inFlight} in-flight deliveries; wait for them, or delete with ?force=true to dead-letter them`,
        pending,
      );
    }
    const at = ctx.now();
    if (!(await registry.deleteEndpoint(id, at))) throw new ApiError(404, "NOT_FOUND", "endpoint not found");
    // Parked deliveries (disabled endpoint, open breaker) must reach the worker to be dead-lettered.
    if (pending.queued > 0) await ctx.store.setEndpointEnabled(id, true, at);
    const result = {
      id,
      deletedAt: new Date(at).toISOString(),
      deadLettered: pending.queued,
      inFlight: pending.inFlight,
    };
    await ctx.audit.record(
      ctx.principal(request),
      "endpoint.delete",
      { kind: "endpoint", id },
      {
        before: endpointView(managed),
        after: { ...result, force },
      },
    );
    return result;
  });

  app.get("/endpoints/:id/health", async (request) => {
    const managed = ctx.endpointFor(request, paramOf(request, "id"));
    return endpointHealth(ctx.store, ctx.log, managed.endpoint.id, ctx.now());
  });

  app.get("/endpoints/:id/dead-letters", async (request) => {
    const managed = ctx.endpointFor(request, paramOf(request, "id"));
    const limit = limitParam(queryOf(request).limit, 50, 500);
    const letters = await ctx.log.listDeadLetters(managed.endpoint.id, limit);
    return {
      data: letters.map((d) => ({
        deliveryId: d.deliveryId,
        messageId: d.messageId,
        endpointId: d.endpointId,
        status: d.status,
        attempts: d.attempts,
        createdAt: new Date(d.createdAt).toISOString(),
        ...(d.deadReason === undefined ? {} : { deadReason: d.deadReason }),
        eventId: d.envelope.id,
        type: d.envelope.type,
      })),
    };
  });

  app.post("/endpoints/:id/dead-letters/replay", async (request) => {
    const managed = ctx.endpointFor(request, paramOf(request, "id"));
    const replayed = await ctx.log.replayDeadLetters(managed.endpoint.id, ctx.now());
    await ctx.audit.record(
      ctx.principal(request),
      "dead-letters.replay",
      {
        kind: "endpoint",
        id: managed.endpoint.id,
      },
      { after: { replayed } },
    );
    return { replayed };
  });

  async function save(
    request: FastifyRequest,
    managed: ManagedEndpoint,
    endpoint: Endpoint,
    action: string,
    changes: { eventTypes?: readonly string[]; description?: string },
  ) {
    const record: StoredEndpoint = {
      endpoint,
      eventTypes: changes.eventTypes ?? managed.eventTypes,
      ...((changes.description ?? managed.description) === undefined
        ? {}
        : { description: changes.description ?? managed.description ?? "" }),
      createdAt: managed.createdAt ?? ctx.now(),
      updatedAt: ctx.now(),
    };
    if (!(await registry.updateEndpoint(record))) throw new ApiError(404, "NOT_FOUND", "endpoint not found");
    const after = endpointView({ ...record, source: "api" });
    await ctx.audit.record(
      ctx.principal(request),
      action,
      { kind: "endpoint", id: endpoint.id },
      {
        before: endpointView(managed),
        after,
      },
    );
    return after;
  }
}

function apiEndpoint(managed: ManagedEndpoint): ManagedEndpoint {
  if (managed.source === "config") {
    throw new ApiError(409, "READ_ONLY", "endpoints from the config file are read-only; change the file instead");
  }
  return managed;
}

/** "standard" (the Standard Webhooks structure) or "raw" (the payload as it is); undefined when not given. */
function payloadOf(body: Record<string, unknown>): PayloadFormat | undefined {
  const { payload } = body;
  if (payload === undefined) return undefined;
  if (payload === "standard" || payload === "raw") return payload;
  throw invalid('payload must be "standard" or "raw"');
}

function requiredUrl(body: Record<string, unknown>): string {
  const url = optionalString(body, "url", 2048);
  if (url === undefined) throw invalid("url is required");
  return url;
}

function headersOf(body: Record<string, unknown>): Record<string, string> | undefined {
  const headers = body.headers;
  if (headers === undefined) return undefined;
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    throw invalid("headers must be an object of strings");
  }
  const entries = Object.entries(headers);
  if (entries.length > 50 || !entries.every(([, v]) => typeof v === "string" && v.length <= 4096)) {
    throw invalid("headers must be at most 50 string values");
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function policyOf(body: Record<string, unknown>, base: EndpointPolicy): EndpointPolicy {
  const raw = body.policy;
  if (raw === undefined) return base;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw invalid("policy must be an object");
  const p = raw as Record<string, unknown>;
  const positive = (name: string, max: number): number | undefined => {
    const value = p[name];
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !(value > 0) || value > max)
      throw invalid(`policy.${name} must be from 1 to ${max}`);
    return value;
  };
  const concurrency = positive("concurrency", 1000);
  const timeoutMs = positive("timeoutMs", 120_000);
  const rate = p.rateLimit as { perSecond?: unknown; burst?: unknown } | null | undefined;
  if (rate !== undefined && rate !== null && (typeof rate.perSecond !== "number" || rate.perSecond <= 0)) {
    throw invalid("policy.rateLimit.perSecond must be a positive number");
  }
  const { rateLimit: _unused, ...withoutRate } = base;
  return {
    ...(rate === null ? withoutRate : base),
    ...(concurrency === undefined ? {} : { concurrency: Math.floor(concurrency) }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(typeof p.orderedByKey === "boolean" ? { orderedByKey: p.orderedByKey } : {}),
    ...(rate === undefined || rate === null
      ? {}
      : {
          rateLimit: {
            perSecond: rate.perSecond as number,
            burst: typeof rate.burst === "number" && rate.burst >= 1 ? rate.burst : (rate.perSecond as number),
          },
        }),
  };
}
