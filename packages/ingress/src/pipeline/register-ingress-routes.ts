import {
  type ApiErrorCode,
  createEnvelope,
  type Envelope,
  type EnvelopeInput,
  redactHeaders,
  traceContextOf,
} from "@hookyard/core";
import type { Tracer } from "@opentelemetry/api";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IngressRoute } from "../config/route.js";
import type { InboundRequest, IngressResponse } from "../verifiers/verifier.js";
import type { ClientOrigin, ClientOriginResolver } from "./client-address.js";
import type {
  DedupStore,
  IngressAccept,
  IngressLogger,
  IngressMetrics,
  IngressOutcome,
  RateLimiter,
  RejectedLog,
} from "./collaborators.js";
import { bodyDocumentOf, eventFieldsOf, keptHeadersOf, targetsOf } from "./event-fields.js";
import { BODY_TOO_LARGE, readBounded } from "./read-bounded.js";
import { addRequestSpans } from "./request-spans.js";
import { routeTable } from "./route-table.js";
import { createStoreBudget, type StoreBudget } from "./store-budget.js";

export interface IngressRoutesOptions {
  readonly routes: readonly IngressRoute[];
  readonly accept: IngressAccept;
  readonly dedup: DedupStore;
  readonly limiter: RateLimiter;
  readonly logger: IngressLogger;
  readonly metrics?: IngressMetrics;
  readonly rejected?: RejectedLog;
  /** Unix milliseconds; tests pass a fixed clock. */
  readonly now?: () => number;
  /** How long a claimed event id blocks its duplicates while the first copy is being accepted. Default 60 s. */
  readonly dedupLeaseMs?: number;
  /** Retry-After (seconds) sent with 503 answers. Default 5. */
  readonly retryAfterSeconds?: number;
  /**
   * The client behind trusted proxies (server.trustProxy): its address for CIDR lists and logs, and the scheme and
   * host it called for URL-signing verifiers. Default: the socket's address, the request's own Host.
   */
  readonly clientOrigin?: ClientOriginResolver;
  /**
   * Whether a target can ever take an event: undefined when it can (or has no limit), else the event's size as that
   * target counts it and the target's limit. An event no target of its route can take is answered 413 before any
   * 2xx (a provider retry with a clear error beats a silent dead letter).
   */
  readonly targetRefuses?: TargetSizeCheck;
  /**
   * Longest one request waits on the store in all (rate limit, dedup, accept) before it is answered 503 with
   * Retry-After. Default 1000 ms.
   */
  readonly storeTimeoutMs?: number;
  /**
   * OpenTelemetry tracer: a SERVER span per request (verify, route, accept), whose context the accepted event is
   * stored with, so its sink messages and webhooks continue the trace. Default: none (no span, no cost).
   */
  readonly tracer?: Tracer;
}

/** See IngressRoutesOptions.targetRefuses. */
export type TargetSizeCheck = (
  envelope: Envelope,
  target: string,
) => { readonly size: number; readonly limit: number } | undefined;

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_STORE_TIMEOUT_MS = 1000;

/** The served routes, replaceable while the server runs. */
export interface IngressRoutes {
  /**
   * Serves `routes` from the next request on (a config reload). Requests already past the gate finish with the
   * route they started with; a path no longer served answers 404.
   */
  replace(routes: readonly IngressRoute[]): void;
  /** The routes served now (enabled or not), as last given. */
  routes(): readonly IngressRoute[];
}

/**
 * Serves every enabled route as `POST <path>`. Order: CIDR allow/deny (403, on the client address behind trusted
 * proxies) → concurrency (503) → rate limit (429) → body size (413, chunked bodies included) → verify (401) →
 * handshake answer (Slack) → rules (no match: 200, unroutable) → targets' size (413 when no target can ever take
 * the event) → dedup (repeat: 200, nothing published) → accept → 200. The 2xx of a routable event is sent only
 * after `accept` resolved: when it rejects, or the store does not answer within `storeTimeoutMs`, the answer is 503
 * with Retry-After and the provider retries.
 */
export async function registerIngressRoutes(
  app: FastifyInstance,
  options: IngressRoutesOptions,
): Promise<IngressRoutes> {
  const now = options.now ?? Date.now;
  const leaseMs = options.dedupLeaseMs ?? DEFAULT_LEASE_MS;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const inFlight = new Map<string, number>();
  const resolveOrigin = options.clientOrigin ?? ((address: string) => ({ address }));
  const origins = new WeakMap<FastifyRequest, ClientOrigin>();
  const storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const budgets = new WeakMap<FastifyRequest, StoreBudget>();
  const budgetOf = (request: FastifyRequest): StoreBudget => {
    let budget = budgets.get(request);
    if (budget === undefined) {
      budget = createStoreBudget(storeTimeoutMs);
      budgets.set(request, budget);
    }
    return budget;
  };
  const originOf = (request: FastifyRequest): ClientOrigin => {
    let origin = origins.get(request);
    if (origin === undefined) {
      origin = resolveOrigin(request.socket.remoteAddress ?? request.ip, request.headers);
      origins.set(request, origin);
    }
    return origin;
  };

  let spans: ReturnType<typeof addRequestSpans> | undefined;
  const finish = (
    route: IngressRoute,
    request: FastifyRequest,
    outcome: IngressOutcome,
    reason: string | undefined,
    size: number,
  ) => {
    options.metrics?.count(route.id, outcome);
    spans?.outcome(request, outcome, reason);
    if (reason === undefined) return;
    const headers = redactHeaders(flatHeaders(request), {
      sensitive: route.sensitiveHeaders,
      maxValueLength: 256,
      maxHeaders: 64,
    });
    options.rejected?.record({
      routeId: route.id,
      outcome,
      reason,
      headers,
      size,
      remoteAddress: originOf(request).address,
      at: new Date(now()).toISOString(),
    });
    const log = { route: route.id, outcome, reason, remoteAddress: originOf(request).address, size };
    if (outcome === "unverified" || outcome === "forbidden_ip") options.logger.info(log, "ingress request rejected");
    else options.logger.debug(log, "ingress request rejected");
  };

  // The routes by path, swapped whole by `replace` (a config reload): one wildcard POST serves them all, so a
  // route added, removed or changed applies to the next request without re-registering anything with fastify.
  let given = options.routes;
  let table = routeTable(given);
  const routes = new WeakMap<FastifyRequest, IngressRoute>();

  await app.register(async (scope) => {
    // Verifiers need the exact bytes, whatever the content type: one raw parser, bounded by the request's route.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, done) => {
      const limit = routes.get(request)?.limits.maxBodyBytes ?? 0;
      readBounded(payload, limit, Number(request.headers["content-length"] ?? 0) || 0).then(
        (body) => done(null, body),
        (error: Error) => done(error, undefined),
      );
    });
    // The span hook runs before the route's gate: it finds the route by path itself.
    spans = addRequestSpans(scope, options.tracer, (request) => table.get(request.url.split("?")[0] ?? ""));
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const route = routes.get(request);
      const announced = Number(request.headers["content-length"] ?? 0) || 0;
      if (error.code === BODY_TOO_LARGE) {
        if (route !== undefined) finish(route, request, "too_large", "body larger than maxBodyBytes", announced);
        return sendError(reply, 413, "PAYLOAD_TOO_LARGE", "the body is larger than this route accepts");
      }
      const status = typeof error.statusCode === "number" && error.statusCode < 500 ? error.statusCode : 500;
      if (route !== undefined) {
        finish(route, request, status < 500 ? "bad_request" : "unavailable", error.code ?? "request error", announced);
      }
      if (status >= 500) options.logger.error({ err: error }, "ingress request failed");
      return sendError(
        reply,
        status,
        status < 500 ? "BAD_REQUEST" : "INTERNAL",
        status < 500 ? "bad request" : "internal error",
      );
    });

    const gate = async (request: FastifyRequest, reply: FastifyReply) => {
      const route = table.get(request.url.split("?")[0] ?? "");
      // Not an ingress path (or a disabled route): the server's own 404, as if the wildcard were not there.
      if (route === undefined) return reply.callNotFound();
      routes.set(request, route);
      if (route.restricted && !route.allowed(originOf(request).address)) {
        finish(route, request, "forbidden_ip", "client address not allowed", 0);
        return sendError(reply, 403, "FORBIDDEN", "this address may not call this route");
      }
      const limit = route.limits.concurrency;
      if (limit !== undefined) {
        const current = inFlight.get(route.id) ?? 0;
        if (current >= limit) {
          finish(route, request, "over_capacity", "concurrency limit reached", 0);
          reply.header("retry-after", "1");
          return sendError(reply, 503, "OVER_CAPACITY", "too many requests in progress; retry later");
        }
        inFlight.set(route.id, current + 1);
        // 'close' fires once, whether the response finished or the client went away.
        reply.raw.once("close", () => inFlight.set(route.id, (inFlight.get(route.id) ?? 1) - 1));
      }
      if (route.limits.ratePerSecond !== undefined) {
        let decision: { ok: boolean; retryAfterMs: number };
        try {
          decision = await budgetOf(request).within(
            options.limiter.take(route.id, route.limits.ratePerSecond, route.limits.burst ?? 1),
          );
        } catch (error) {
          options.logger.warn({ route: route.id, err: error }, "ingress rate limiter failed");
          finish(route, request, "unavailable", "rate limiter unavailable", 0);
          reply.header("retry-after", retryAfter);
          return sendError(reply, 503, "UNAVAILABLE", "temporarily unavailable; retry later");
        }
        if (!decision.ok) {
          finish(route, request, "rate_limited", "rate limit exceeded", 0);
          reply.header("retry-after", String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
          return sendError(reply, 429, "RATE_LIMITED", "too many requests; retry later");
        }
      }
      return undefined;
    };

    scope.post("/*", { onRequest: gate }, async (request, reply) => {
      const route = routes.get(request);
      if (route === undefined) return reply.callNotFound();
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const inbound: InboundRequest = {
        method: request.method,
        url: externalUrl(request, route, originOf(request)),
        headers: flatHeaders(request),
        rawBody,
        query: (request.query ?? {}) as Record<string, string | string[]>,
      };
      const verified = route.verifier.verify(inbound, now());
      if (!verified.ok) {
        finish(route, request, "unverified", verified.reason, rawBody.length);
        return sendError(reply, 401, "UNVERIFIED", "the request could not be verified");
      }
      if (verified.respond !== undefined) {
        finish(route, request, "challenge", undefined, rawBody.length);
        return sendResponse(reply, verified.respond);
      }
      const body = bodyDocumentOf(inbound);
      const { id, type } = eventFieldsOf(route, inbound, body, verified);
      const targets = targetsOf(route, { id, type, headers: inbound.headers, query: inbound.query, body });
      if (targets.length === 0) {
        finish(route, request, "unroutable", "no rule matched", rawBody.length);
        return reply.code(200).send({ received: true, routed: false });
      }
      const input: EnvelopeInput = {
        id,
        source: `ingress:${route.id}`,
        type,
        data: rawBody,
        time: new Date(now()),
        contentType: inbound.headers["content-type"] ?? "application/octet-stream",
        headers: keptHeadersOf(route, inbound),
        idempotencyKey: `ingress:${route.id}:${id}`,
      };
      // The request span's context; untraced, the sender's own traceparent (if any) passes through.
      const trace = spans?.contextOf(request) ?? traceContextOf(inbound.headers);
      if (trace !== undefined) {
        input.traceparent = trace.traceparent;
        if (trace.tracestate !== undefined) input.tracestate = trace.tracestate;
      }
      const envelope = createEnvelope(input);
      const refusal = refusedByEveryTarget(envelope, targets);
      if (refusal !== undefined) {
        finish(route, request, "too_large", refusal.reason, rawBody.length);
        return sendError(reply, 413, "PAYLOAD_TOO_LARGE", refusal.answer);
      }
      return acceptOnce(route, request, reply, envelope, targets);
    });
  });

  return {
    replace(next) {
      table = routeTable(next);
      given = next;
    },
    routes: () => given,
  };

  /** When no target can ever take the event: why (for the log) and what the provider is told. */
  function refusedByEveryTarget(
    envelope: Envelope,
    targets: readonly string[],
  ): { reason: string; answer: string } | undefined {
    const check = options.targetRefuses;
    if (check === undefined) return undefined;
    const refusals: string[] = [];
    let size = 0;
    let largest = 0;
    for (const target of targets) {
      const refused = check(envelope, target);
      if (refused === undefined) return undefined;
      refusals.push(`${target}: ${refused.size} bytes over its limit of ${refused.limit}`);
      size = Math.max(size, refused.size);
      largest = Math.max(largest, refused.limit);
    }
    return {
      reason: `event larger than every target accepts (${refusals.join("; ")})`,
      answer: `the event is ${size} bytes; this route's targets accept at most ${largest} bytes`,
    };
  }

  async function acceptOnce(
    route: IngressRoute,
    request: FastifyRequest,
    reply: FastifyReply,
    envelope: Envelope,
    targets: readonly string[],
  ) {
    const size = envelope.data.byteLength;
    const key = envelope.idempotencyKey ?? envelope.id;
    if (route.dedup.enabled) {
      let claim: Awaited<ReturnType<DedupStore["claim"]>>;
      try {
        claim = await budgetOf(request).within(options.dedup.claim(key, leaseMs));
      } catch (error) {
        options.logger.warn({ route: route.id, err: error }, "ingress dedup store failed");
        finish(route, request, "unavailable", "dedup store unavailable", size);
        return unavailable(reply);
      }
      if (claim === "accepted") {
        finish(route, request, "duplicate", undefined, size);
        options.logger.debug({ route: route.id, id: envelope.id }, "ingress duplicate");
        return reply.code(200).send({ received: true, duplicate: true });
      }
      if (claim === "in-flight") {
        finish(route, request, "in_flight", "the same event is being accepted by another request", size);
        reply.header("retry-after", retryAfter);
        return sendError(reply, 409, "IN_PROGRESS", "this event is already being processed; retry later");
      }
    }
    try {
      await budgetOf(request).within(options.accept(envelope, targets));
    } catch (error) {
      options.logger.warn({ route: route.id, id: envelope.id, err: error }, "ingress event not accepted");
      if (route.dedup.enabled) {
        await budgetOf(request)
          .within(options.dedup.release(key))
          .catch((releaseError: unknown) => {
            // The claim then expires after its lease; until then retries answer 409, never a false 2xx.
            options.logger.warn({ route: route.id, err: releaseError }, "ingress dedup release failed");
          });
      }
      finish(route, request, "unavailable", "event could not be made durable", size);
      return unavailable(reply);
    }
    if (route.dedup.enabled) {
      await budgetOf(request)
        .within(options.dedup.complete(key, route.dedup.ttlMs))
        .catch((completeError: unknown) => {
          // Durable already: answer 2xx. A retry after the lease is caught by the accept's idempotency key.
          options.logger.warn({ route: route.id, err: completeError }, "ingress dedup complete failed");
        });
    }
    finish(route, request, "accepted", undefined, size);
    options.logger.debug({ route: route.id, id: envelope.id, type: envelope.type, targets }, "ingress event accepted");
    if (route.ackResponse !== undefined) return sendResponse(reply, route.ackResponse);
    return reply.code(200).send({ received: true });
  }

  function unavailable(reply: FastifyReply) {
    reply.header("retry-after", retryAfter);
    return sendError(reply, 503, "UNAVAILABLE", "the event could not be made durable; retry later");
  }
}

/**
 * The URL as the provider called it: the route's publicUrl origin, else the scheme and host a trusted proxy said
 * (server.trustProxy), else the request's own.
 */
function externalUrl(request: FastifyRequest, route: IngressRoute, origin: ClientOrigin): string {
  const pathAndQuery = request.raw.url ?? request.url;
  if (route.publicUrl !== undefined) return route.publicUrl + pathAndQuery;
  return `${origin.protocol ?? request.protocol}://${origin.host ?? request.host}${pathAndQuery}`;
}

function flatHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function sendError(reply: FastifyReply, status: number, code: ApiErrorCode, message: string) {
  return reply.code(status).type("application/json").send({ error: { code, message } });
}

function sendResponse(reply: FastifyReply, response: IngressResponse) {
  return reply.code(response.status).type(response.contentType).send(response.body);
}
