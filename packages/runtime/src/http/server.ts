import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { LogLevel } from "../config/schema.js";
import type { Metrics } from "../metrics.js";
import { sendApiError } from "./api-error.js";
import { type ReadinessReport, withoutErrors } from "./health.js";

/** Which of Hookyard's listeners a server is: the public one (ingest, inbound webhooks) or the internal one. */
export type Listener = "public" | "internal";

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly listener: Listener;
  readonly readiness: () => Promise<ReadinessReport>;
  /** Serves `/metrics` when given: on the internal listener, or on the only one when there is no internal one. */
  readonly metrics?: Metrics;
  /** Whether `/readyz` shows why a check failed (the internal or only listener), or only which (a public one). */
  readonly readinessErrors: boolean;
  /** Level of the one line per request; "silent" for none. Default info. */
  readonly requestLogLevel?: LogLevel;
}

/** Load balancers and Prometheus call these every few seconds: their lines would drown the rest. */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * One of Hookyard's HTTP servers, with health (`/healthz`, `/readyz`) on every listener so each can be probed,
 * and the routes the runtime registers on it. Every error answers the same JSON shape.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: "http", listener: options.listener }) as FastifyBaseLogger,
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
    const report = await options.readiness();
    return reply.code(report.ready ? 200 : 503).send(options.readinessErrors ? report : withoutErrors(report));
  });
  const { metrics } = options;
  if (metrics !== undefined) {
    app.get("/metrics", async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    });
  }
  return app;
}
