import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
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
}

/**
 * One of Hookyard's HTTP servers, with health (`/healthz`, `/readyz`) on every listener so each can be probed,
 * and the routes the runtime registers on it. Every error answers the same JSON shape.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: "http", listener: options.listener }) as FastifyBaseLogger,
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
