import { HookyardError, presentedApiKey } from "@hookyard/core";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { ApiError, sendApiError } from "./api-error.js";
import { createCurrentAdminKeyCheck } from "./auth/admin-keys.js";
import { createPortalTokens, PORTAL_TOKEN_PREFIX } from "./auth/portal-token.js";
import type { Principal } from "./auth/principal.js";
import { brandingView, logoOrigin } from "./branding.js";
import { registerDashboardRoutes } from "./dashboard-routes.js";
import { createDeliveryLog } from "./delivery-log.js";
import type { AdminDependencies } from "./deps.js";
import { openApiDocument } from "./openapi.js";
import { createReplayJobs, type ReplayJobs } from "./replay/replay-jobs.js";
import { registerConfigRoutes } from "./routes/config-routes.js";
import { createRouteContext } from "./routes/context.js";
import { registerDeliveryRoutes } from "./routes/delivery-routes.js";
import { registerEndpointRoutes } from "./routes/endpoint-routes.js";
import { registerEventTypeRoutes } from "./routes/event-type-routes.js";
import { registerOperatorRoutes } from "./routes/operator-routes.js";
import { registerSubscriptionRoutes } from "./routes/subscription-routes.js";
import { createUrlSafetyCheck } from "./routes/url-safety.js";
import { createAuditLog } from "./state/audit-log.js";

export interface AdminRoutes {
  /** The replay job runner (tests wait on `idle()`; shutdown may too). */
  readonly jobs: ReplayJobs;
}

const MAX_BODY_BYTES = 256 * 1024;

/**
 * The admin API under `/admin/v1` and the dashboard under `/dashboard`, as one fastify plugin. Requests carry an
 * admin API key or a portal token (`Authorization: Bearer …` or `X-Api-Key`); every change is audited.
 */
export async function registerAdminRoutes(app: FastifyInstance, deps: AdminDependencies): Promise<AdminRoutes> {
  const now = deps.now ?? Date.now;
  const adminKey = createCurrentAdminKeyCheck(deps.adminKeys ?? (() => deps.settings.apiKeys));
  const tokens =
    deps.settings.portalSigningKey === undefined ? undefined : createPortalTokens(deps.settings.portalSigningKey);
  const log = createDeliveryLog(deps.store, deps.history);
  const jobs = createReplayJobs({
    log,
    storage: deps.storage,
    now,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  const principals = new WeakMap<FastifyRequest, Principal>();
  const context = createRouteContext(
    {
      deps,
      store: deps.store,
      log,
      now,
      audit: createAuditLog(deps.storage, now),
      jobs,
      tokens,
      checkUrl: createUrlSafetyCheck({
        ...(deps.settings.egressAllowCidrs === undefined ? {} : { allowCidrs: deps.settings.egressAllowCidrs }),
        ...(deps.resolveHost === undefined ? {} : { resolveHost: deps.resolveHost }),
      }),
    },
    principals,
  );

  await app.register(
    async (scope) => {
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        if (error instanceof ApiError)
          return sendApiError(reply, error.status, error.code, error.message, error.details);
        if (error instanceof HookyardError) {
          if (error.code === "ENDPOINT_UNKNOWN") return sendApiError(reply, 404, "NOT_FOUND", "endpoint not found");
          if (error.code === "QUERY_INVALID" || error.code === "CONFIG_INVALID" || error.code === "ENVELOPE_INVALID") {
            return sendApiError(reply, 400, "INVALID_REQUEST", error.message);
          }
          if (error.retryable) {
            reply.header("retry-after", "5");
            return sendApiError(reply, 503, "UNAVAILABLE", "the store is unavailable; retry later");
          }
        }
        const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
        if (status >= 500) request.log.error({ err: error }, "admin request failed");
        const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status >= 500 ? "INTERNAL" : "INVALID_REQUEST";
        return sendApiError(reply, status, code, status >= 500 ? "internal error" : error.message);
      });
      scope.setNotFoundHandler((request, reply) =>
        sendApiError(reply, 404, "NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`),
      );
      scope.removeContentTypeParser("application/json");
      scope.addContentTypeParser(
        "application/json",
        { parseAs: "string", bodyLimit: MAX_BODY_BYTES },
        (_r, body, done) => {
          if (body === "") return done(null, {});
          try {
            done(null, JSON.parse(String(body)));
          } catch {
            done(new ApiError(400, "INVALID_REQUEST", "the request body is not valid JSON"), undefined);
          }
        },
      );

      scope.get("/openapi.json", async () => openApiDocument());
      // Public: the portal shows the operator's brand before (and after) a token is checked; nothing secret.
      scope.get("/branding", async () => brandingView(deps.settings));

      scope.addHook("onRequest", async (request, reply) => {
        const path = request.url.split("?")[0];
        if (path === "/admin/v1/openapi.json" || path === "/admin/v1/branding") return;
        const presented = presentedApiKey(request.headers);
        if (presented === undefined) {
          return sendApiError(reply, 401, "UNAUTHORIZED", "an admin API key or a portal token is required");
        }
        if (presented.startsWith(PORTAL_TOKEN_PREFIX)) {
          if (tokens === undefined) return sendApiError(reply, 401, "UNAUTHORIZED", "portal access is not configured");
          const claims = tokens.verify(presented, now());
          if ("refused" in claims) {
            const message = claims.refused === "expired" ? "the portal token has expired" : "invalid portal token";
            return sendApiError(reply, 401, claims.refused === "expired" ? "TOKEN_EXPIRED" : "UNAUTHORIZED", message);
          }
          // A read-only token changes nothing: refused here, once, for every route that would.
          if (claims.scope === "read" && request.method !== "GET" && request.method !== "HEAD") {
            return sendApiError(reply, 403, "FORBIDDEN", "this portal link is read-only");
          }
          principals.set(request, {
            kind: "portal",
            owner: claims.owner,
            scope: claims.scope,
            expiresAt: claims.expiresAt,
          });
          return;
        }
        const keyId = adminKey(presented);
        if (keyId === undefined) return sendApiError(reply, 401, "UNAUTHORIZED", "invalid API key");
        principals.set(request, { kind: "admin", keyId });
      });

      registerEndpointRoutes(scope, context);
      registerSubscriptionRoutes(scope, context);
      registerEventTypeRoutes(scope, context);
      registerDeliveryRoutes(scope, context);
      registerOperatorRoutes(scope, context);
      registerConfigRoutes(scope, context);
    },
    { prefix: "/admin/v1" },
  );
  const logo = logoOrigin(deps.settings.branding);
  await registerDashboardRoutes(app, {
    frameAncestors: deps.settings.frameAncestors,
    ...(logo === undefined ? {} : { logoOrigin: logo }),
  });
  return { jobs };
}
