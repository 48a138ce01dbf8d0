import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
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
}

/**
 * Hookyard's one HTTP server: health, readiness, metrics, and (registered by the runtime) the ingest API.
 * Every error answers the same JSON shape.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: "http" }) as FastifyBaseLogger,
    // Per-request logs would be one line per webhook at info level: Hookyard logs outcomes itself.
    logController: new LogController({ disableRequestLogging: true }),
    // Behind a proxy the operator sets trustProxy in a later version; until then client IPs are the socket's.
    trustProxy: false,
    return503OnClosing: true,
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
