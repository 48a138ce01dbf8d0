import type { HistoryQuery } from "@hookyard/history";
import type { DeliveryStatus, DeliverySummary } from "@hookyard/scheduler";
import { MAX_DELIVERY_PAGE } from "@hookyard/scheduler";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, invalid, notFound } from "../api-error.js";
import { mayAccess } from "../auth/principal.js";
import { deliverySeries } from "../health.js";
import { endpointStateIfKnown, holdOf, liveQueues } from "../live-queues.js";
import { envelopeView } from "../views.js";
import type { RouteContext } from "./context.js";
import { bodyOf, limitParam, optionalString, paramOf, queryOf, timeParam } from "./params.js";
import { parsePayloadSearch } from "./payload-search.js";

const STATUSES: readonly DeliveryStatus[] = ["queued", "leased", "delivered", "dead"];

/** Deliveries (log, detail, attempts, retry), events, replay jobs and the delivery charts. */
export function registerDeliveryRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry } = ctx.deps;

  app.get("/deliveries", async (request) => {
    const query = queryOf(request);
    let endpointIds = ctx.visibleEndpointIds(request, query.owner);
    if (query.endpointId !== undefined) {
      const endpoint = ctx.endpointFor(request, query.endpointId);
      endpointIds =
        endpointIds === undefined || endpointIds.includes(endpoint.endpoint.id) ? [endpoint.endpoint.id] : [];
    }
    if (endpointIds !== undefined && endpointIds.length === 0) return { data: [] };
    const status = query.status;
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
      throw invalid(`status must be one of ${STATUSES.join(", ")}`);
    }
    const from = timeParam(query.from, "from");
    const before = timeParam(query.to, "to");
    if (query.order !== undefined && query.order !== "newest" && query.order !== "oldest") {
      throw invalid('order must be "newest" or "oldest"');
    }
    const page = await ctx.log.queryDeliveries({
      limit: limitParam(query.limit, 50, MAX_DELIVERY_PAGE),
      ...(endpointIds === undefined ? {} : { endpointIds }),
      ...(status === undefined ? {} : { status: status as DeliveryStatus }),
      ...(query.eventId ? { eventId: query.eventId } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(from === undefined ? {} : { from }),
      ...(before === undefined ? {} : { before }),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.order === undefined ? {} : { order: query.order }),
      ...(query.payload ? { payloadContains: parsePayloadSearch(query.payload) } : {}),
    } satisfies HistoryQuery);
    return {
      data: page.deliveries.map(summaryView),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    };
  });

  async function visibleDelivery(request: FastifyRequest) {
    const delivery = await ctx.log.getDelivery(paramOf(request, "id"));
    const owner = delivery === undefined ? undefined : registry.get(delivery.endpointId)?.owner;
    const who = ctx.principal(request);
    if (delivery === undefined || (who.kind === "portal" && (owner === undefined || !mayAccess(who, owner)))) {
      throw notFound("delivery");
    }
    return delivery;
  }

  app.get("/deliveries/:id", async (request) => {
    const d = await visibleDelivery(request);
    // A queued delivery may be parked: say by what (the breaker, a disabled endpoint) and until when.
    const state = d.status === "queued" ? await endpointStateIfKnown(ctx.store, d.endpointId, ctx.now()) : undefined;
    const hold = state === undefined ? undefined : holdOf(state);
    return {
      deliveryId: d.deliveryId,
      messageId: d.messageId,
      endpointId: d.endpointId,
      status: d.status,
      attempts: d.attempts,
      createdAt: new Date(d.createdAt).toISOString(),
      ...(d.dueAt === undefined ? {} : { dueAt: new Date(d.dueAt).toISOString() }),
      ...(d.deadReason === undefined ? {} : { deadReason: d.deadReason }),
      ...(hold === undefined ? {} : { hold }),
      ...(d.envelope === undefined ? {} : { event: envelopeView(d.envelope) }),
    };
  });

  // Queued deliveries are not in the history (it keeps settled ones): the log shows them per endpoint, live.
  app.get("/queues", async (request) => {
    const query = queryOf(request);
    let endpointIds = ctx.visibleEndpointIds(request, query.owner);
    if (query.endpointId !== undefined) endpointIds = [ctx.endpointFor(request, query.endpointId).endpoint.id];
    return liveQueues(ctx.store, endpointIds ?? registry.list().map((m) => m.endpoint.id), ctx.now());
  });

  app.get("/deliveries/:id/attempts", async (request) => {
    const d = await visibleDelivery(request);
    return { data: await ctx.log.listAttempts(d.deliveryId) };
  });

  app.post("/deliveries/:id/retry", async (request, reply) => {
    const d = await visibleDelivery(request);
    if ((await ctx.log.replay([d.deliveryId], ctx.now())).length === 0) {
      throw new ApiError(409, "NOT_SETTLED", `the delivery is ${d.status}; only delivered or dead ones are retried`);
    }
    await ctx.audit.record(
      ctx.principal(request),
      "delivery.retry",
      { kind: "delivery", id: d.deliveryId },
      {
        before: { status: d.status, attempts: d.attempts },
        after: { status: "queued", attempts: 0 },
      },
    );
    return reply.code(202).send({ deliveryId: d.deliveryId, status: "queued" });
  });

  app.get("/events/:eventId", async (request) => {
    const eventId = paramOf(request, "eventId");
    const visible = ctx.visibleEndpointIds(request);
    const page = await ctx.log.queryDeliveries({
      eventId,
      limit: MAX_DELIVERY_PAGE,
      ...(visible === undefined ? {} : { endpointIds: visible }),
    });
    const first = page.deliveries[0];
    if (first === undefined || (visible !== undefined && visible.length === 0)) throw notFound("event");
    const detail = await ctx.log.getDelivery(first.deliveryId);
    return {
      ...(detail?.envelope === undefined ? { id: eventId } : envelopeView(detail.envelope)),
      deliveries: page.deliveries.map(summaryView),
    };
  });

  app.post("/replay-jobs", async (request, reply) => {
    const body = bodyOf(request);
    const endpointId = optionalString(body, "endpointId", 256);
    if (endpointId === undefined) throw invalid("endpointId is required");
    const managed = ctx.endpointFor(request, endpointId);
    const status = body.status;
    if (status !== undefined && status !== "delivered" && status !== "dead") {
      throw invalid('status must be "delivered" or "dead" (only settled deliveries are replayed)');
    }
    const from = timeParam(body.from, "from");
    const before = timeParam(body.to, "to");
    const who = ctx.principal(request);
    const job = await ctx.jobs.start({
      owner: managed.endpoint.owner,
      endpointId: managed.endpoint.id,
      ...(from === undefined ? {} : { from }),
      ...(before === undefined ? {} : { before }),
      ...(status === undefined ? {} : { status }),
      createdBy: who.kind === "admin" ? { kind: "admin", id: who.keyId } : { kind: "portal", id: who.owner },
    });
    await ctx.audit.record(
      who,
      "replay-job.create",
      { kind: "replay-job", id: job.id },
      {
        after: { endpointId, from: from ?? null, to: before ?? null, status: status ?? null },
      },
    );
    return reply.code(202).send(jobView(job));
  });

  app.get("/replay-jobs", async (request) => {
    const who = ctx.principal(request);
    const jobs = await ctx.jobs.list(limitParam(queryOf(request).limit, 50, 200));
    return { data: jobs.filter((job) => mayAccess(who, job.owner)).map(jobView) };
  });

  app.get("/replay-jobs/:id", async (request) => {
    const job = await ctx.jobs.get(paramOf(request, "id"));
    if (job === undefined || !mayAccess(ctx.principal(request), job.owner)) throw notFound("replay job");
    return jobView(job);
  });

  app.get("/stats/deliveries", async (request) => {
    const query = queryOf(request);
    let endpointIds = ctx.visibleEndpointIds(request, query.owner);
    if (query.endpointId !== undefined) endpointIds = [ctx.endpointFor(request, query.endpointId).endpoint.id];
    if (endpointIds !== undefined && endpointIds.length === 0) return { buckets: [] };
    return deliverySeries(ctx.log, endpointIds, limitParam(query.buckets, 24, 200));
  });
}

function summaryView(d: DeliverySummary) {
  return { ...d, createdAt: new Date(d.createdAt).toISOString() };
}

function jobView<
  T extends { createdAt: number; updatedAt: number; finishedAt?: number; from?: number; before?: number },
>(job: T) {
  const { before, ...rest } = job;
  return {
    ...rest,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    ...(job.finishedAt === undefined ? {} : { finishedAt: new Date(job.finishedAt).toISOString() }),
    ...(job.from === undefined ? {} : { from: new Date(job.from).toISOString() }),
    ...(before === undefined ? {} : { to: new Date(before).toISOString() }),
  };
}
