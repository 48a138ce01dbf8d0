import { randomBytes } from "node:crypto";
import { compileFilter, compileTypePattern, type FilterSpec, HookyardError } from "@hookyard/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, invalid, notFound } from "../api-error.js";
import type { ManagedSubscription } from "../state/endpoint-registry.js";
import type { StoredSubscription } from "../state/records.js";
import type { RouteContext } from "./context.js";
import { bodyOf, checkId, optionalString, paramOf, stringList } from "./params.js";

/** Subscriptions: which event types (and filter) go to which endpoints. Config ones are read-only. */
export function registerSubscriptionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry } = ctx.deps;

  /** A portal sees a subscription only when every endpoint it targets is its own. */
  function visible(request: FastifyRequest, subscription: ManagedSubscription): boolean {
    const allowed = ctx.visibleEndpointIds(request);
    return allowed === undefined || subscription.endpoints.every((id) => allowed.includes(id));
  }

  function find(request: FastifyRequest): ManagedSubscription {
    const found = registry.subscription(paramOf(request, "id"));
    if (found === undefined || !visible(request, found)) throw notFound("subscription");
    return found;
  }

  app.get("/subscriptions", async (request) => ({
    data: registry.subscriptions().filter((s) => visible(request, s)),
  }));

  app.get("/subscriptions/:id", async (request) => find(request));

  app.post("/subscriptions", async (request, reply) => {
    const body = bodyOf(request);
    const id = checkId(optionalString(body, "id") ?? `sub_${randomBytes(8).toString("hex")}`, "id");
    if (registry.subscription(id) !== undefined) throw new ApiError(409, "CONFLICT", `subscription ${id} exists`);
    const record = subscriptionFrom(request, body, id, undefined);
    if (!(await registry.putSubscription(record, true))) {
      throw new ApiError(409, "CONFLICT", `subscription ${id} exists`);
    }
    await ctx.audit.record(
      ctx.principal(request),
      "subscription.create",
      { kind: "subscription", id },
      {
        after: record,
      },
    );
    return reply.code(201).send(registry.subscription(id));
  });

  app.patch("/subscriptions/:id", async (request) => {
    const existing = editable(find(request));
    const record = subscriptionFrom(request, { ...existing, ...bodyOf(request) }, existing.id, existing);
    await registry.putSubscription(record, false);
    await ctx.audit.record(
      ctx.principal(request),
      "subscription.update",
      { kind: "subscription", id: existing.id },
      {
        before: existing,
        after: record,
      },
    );
    return registry.subscription(existing.id);
  });

  app.delete("/subscriptions/:id", async (request, reply) => {
    const existing = editable(find(request));
    await registry.deleteSubscription(existing.id);
    await ctx.audit.record(
      ctx.principal(request),
      "subscription.delete",
      { kind: "subscription", id: existing.id },
      {
        before: existing,
      },
    );
    return reply.code(204).send();
  });

  function subscriptionFrom(
    request: FastifyRequest,
    body: Record<string, unknown>,
    id: string,
    existing: ManagedSubscription | undefined,
  ): StoredSubscription {
    const endpoints = stringList(body, "endpoints") ?? [];
    const types = stringList(body, "types") ?? [];
    if (endpoints.length === 0) throw invalid("endpoints must name at least one endpoint");
    if (types.length === 0) throw invalid('types must name at least one event type or glob ("*" = all)');
    for (const endpoint of endpoints) ctx.endpointFor(request, endpoint); // 404 for unknown or foreign ones
    for (const type of types) compile(() => compileTypePattern(type, "types"));
    const filter = body.filter === undefined || body.filter === null ? undefined : (body.filter as FilterSpec);
    if (filter !== undefined) compile(() => compileFilter(filter, "filter"));
    const at = ctx.now();
    return {
      id,
      endpoints,
      types,
      enabled: body.enabled !== false,
      ...(filter === undefined ? {} : { filter }),
      createdAt: (existing as { createdAt?: number } | undefined)?.createdAt ?? at,
      updatedAt: at,
    };
  }
}

function editable(subscription: ManagedSubscription): ManagedSubscription {
  if (subscription.source !== "api") {
    const why =
      subscription.source === "config" ? "it comes from the config file" : "it follows its endpoint's eventTypes";
    throw new ApiError(409, "READ_ONLY", `subscription ${subscription.id} is read-only: ${why}`);
  }
  return subscription;
}

function compile(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (error instanceof HookyardError) throw invalid(error.message);
    throw error;
  }
}
