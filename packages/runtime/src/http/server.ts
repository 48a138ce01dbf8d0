import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { LogLevel } from "../config/schema.js";
import type { Metrics } from "../metrics.js";
import { sendApiError } from "./api-error.js";
import { checkReadiness, type HealthCheck } from "./health.js";

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly checks: () => readonly HealthCheck[];
  /** False while starting and once shutdown begins, so load balancers stop sending traffic. */
  readonly accepting: () => boolean;
  readonly readinessTimeoutMs?: number;
  /** Level of the one line per request; "silent" for none. Default info. */
  readonly requestLogLevel?: LogLevel;
}

/** Load balancers and Prometheus call these every few seconds: their lines would drown the rest. */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Hookyard's one HTTP server: health, readiness, metrics, and (registered by the runtime) the ingest API.
 * Every error answers the same JSON shape.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: "http" }) as FastifyBaseLogger,
    // Fastify's own two lines per request are replaced by the one below (no headers, no query string).
    logController: new LogController({ disableRequestLogging: true }),
    // Behind a proxy the operator sets trustProxy in a later version; until then client IPs are the socket's.
    trustProxy: false,
    return503OnClosing: true,
  });

  const requestLevel = options.requestLogLevel ?? "info";
  app.addHook("onResponse", async (request, reply) => {
    const path = request.url.split("?")[0] ?? request.url;
    const level = PROBES.has(path) ? "debug" : requestLevel;
    if (level === "silent") return;
    request.log[level](
      {
        method: request.method,
        path,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        remoteAddress: request.ip,
      },
      "request",
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status >= 500 ? "INTERNAL" : "BAD_REQUEST";
    const message = status >= 500 ? "internal error" : error.message;
    return sendApiError(reply, status, code, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendApiError(reply, 404, "NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (!options.accepting())
      return reply.code(503).send({ ready: false, checks: [], reason: "not accepting traffic" });
    const report = await checkReadiness(options.checks(), options.readinessTimeoutMs ?? 2000);
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get("/metrics", async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  return app;
}
