import type { FastifyInstance } from "fastify";
import { ApiError, notFound } from "../api-error.js";
import { eventTypeFrom } from "../catalogue/event-type-input.js";
import { createSchemaCompiler } from "../catalogue/schema-compiler.js";
import type { ManagedEventType } from "../state/endpoint-registry.js";
import type { RouteContext } from "./context.js";
import { bodyOf, paramOf, queryOf } from "./params.js";

/**
 * The event-type catalogue: everyone may read it (customers pick their types from it in the portal); operators
 * create, change and delete the API-managed entries (config ones are read-only). Every change is audited.
 */
export function registerEventTypeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry } = ctx.deps;
  const compiler = createSchemaCompiler();

  function find(name: string): ManagedEventType {
    const found = registry.eventType(name);
    if (found === undefined) throw notFound("event type");
    return found;
  }

  app.get("/event-types", async (request) => {
    const { group, includeDeprecated } = queryOf(request);
    const data = registry
      .eventTypes()
      .filter((type) => group === undefined || type.group === group)
      .filter((type) => includeDeprecated !== "false" || !type.deprecated);
    return { data: data.map(eventTypeView) };
  });

  app.get("/event-types/:name", async (request) => eventTypeView(find(paramOf(request, "name"))));

  app.post("/event-types", async (request, reply) => {
    ctx.requireAdmin(request);
    const type = eventTypeFrom(bodyOf(request), undefined, compiler);
    const at = ctx.now();
    if (
      registry.eventType(type.name) !== undefined ||
      !(await registry.putEventType({ ...type, createdAt: at, updatedAt: at }, true))
    ) {
      throw new ApiError(409, "CONFLICT", `event type ${type.name} exists`);
    }
    const view = eventTypeView(find(type.name));
    await ctx.audit.record(
      ctx.principal(request),
      "event-type.create",
      { kind: "event-type", id: type.name },
      { after: view },
    );
    return reply.code(201).send(view);
  });

  app.patch("/event-types/:name", async (request) => {
    ctx.requireAdmin(request);
    const existing = editable(find(paramOf(request, "name")));
    const type = eventTypeFrom(bodyOf(request), existing, compiler);
    await registry.putEventType({ ...type, createdAt: existing.createdAt ?? ctx.now(), updatedAt: ctx.now() }, false);
    const view = eventTypeView(find(type.name));
    await ctx.audit.record(
      ctx.principal(request),
      "event-type.update",
      { kind: "event-type", id: type.name },
      { before: eventTypeView(existing), after: view },
    );
    return view;
  });

  app.delete("/event-types/:name", async (request, reply) => {
    ctx.requireAdmin(request);
    const existing = editable(find(paramOf(request, "name")));
    await registry.deleteEventType(existing.name);
    await ctx.audit.record(
      ctx.principal(request),
      "event-type.delete",
      { kind: "event-type", id: existing.name },
      {
        before: eventTypeView(existing),
      },
    );
    return reply.code(204).send();
  });
}

function editable(type: ManagedEventType): ManagedEventType {
  if (type.source === "config") {
    throw new ApiError(409, "READ_ONLY", `event type ${type.name} comes from the config file; change the file instead`);
  }
  return type;
}

export function eventTypeView(type: ManagedEventType) {
  return {
    name: type.name,
    description: type.description,
    ...(type.group === undefined ? {} : { group: type.group }),
    ...(type.schema === undefined ? {} : { schema: type.schema }),
    ...(type.example === undefined ? {} : { example: type.example }),
    deprecated: type.deprecated,
    validation: type.validation,
    source: type.source,
    ...(type.createdAt === undefined ? {} : { createdAt: new Date(type.createdAt).toISOString() }),
    ...(type.updatedAt === undefined ? {} : { updatedAt: new Date(type.updatedAt).toISOString() }),
  };
}
