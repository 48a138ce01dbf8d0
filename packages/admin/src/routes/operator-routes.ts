import type { FastifyInstance } from "fastify";
import { ApiError, invalid } from "../api-error.js";
import { PORTAL_SCOPES, type PortalScope } from "../auth/portal-token.js";
import type { RouteContext } from "./context.js";
import { bodyOf, limitParam, optionalString, queryOf } from "./params.js";

const MAX_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Who am I, owners, portal tokens, the audit log and rejected messages. */
export function registerOperatorRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/me", async (request) => {
    const who = ctx.principal(request);
    return who.kind === "admin"
      ? { kind: "admin", keyId: who.keyId }
      : { kind: "portal", owner: who.owner, scope: who.scope, expiresAt: new Date(who.expiresAt).toISOString() };
  });

  app.get("/owners", async (request) => {
    const who = ctx.principal(request);
    return { data: who.kind === "portal" ? [who.owner] : ctx.deps.registry.owners() };
  });

  app.post("/portal-tokens", async (request, reply) => {
    ctx.requireAdmin(request);
    if (ctx.tokens === undefined) {
      throw new ApiError(409, "PORTAL_DISABLED", "set admin.portal.signingKey in the config to issue portal tokens");
    }
    const body = bodyOf(request);
    const owner = optionalString(body, "owner", 256);
    if (owner === undefined || owner === "") throw invalid("owner is required");
    const ttlSeconds = body.ttlSeconds;
    if (
      ttlSeconds !== undefined &&
      (typeof ttlSeconds !== "number" || ttlSeconds <= 0 || ttlSeconds * 1000 > MAX_TOKEN_TTL_MS)
    ) {
      throw invalid("ttlSeconds must be a positive number of at most 30 days");
    }
    const scope = body.scope ?? "manage";
    if (!PORTAL_SCOPES.includes(scope as PortalScope)) throw invalid('scope must be "read" or "manage"');
    const ttlMs = ttlSeconds === undefined ? ctx.deps.settings.portalTokenTtlMs : ttlSeconds * 1000;
    const { token, expiresAt } = ctx.tokens.issue(owner, ctx.now(), ttlMs, scope as PortalScope);
    await ctx.audit.record(
      ctx.principal(request),
      "portal-token.create",
      { kind: "owner", id: owner },
      {
        after: { scope, expiresAt: new Date(expiresAt).toISOString() },
      },
    );
    return reply.code(201).send({
      token,
      owner,
      scope,
      expiresAt: new Date(expiresAt).toISOString(),
      // The token travels in the fragment: browsers never send it to a server or a referrer.
      dashboardPath: `/dashboard/#token=${token}`,
    });
  });

  app.get("/audit", async (request) => {
    ctx.requireAdmin(request);
    return { data: await ctx.deps.storage.listAudit(limitParam(queryOf(request).limit, 100, 1000)) };
  });

  app.get("/rejected", async (request) => {
    ctx.requireAdmin(request);
    const query = queryOf(request);
    const origins = ctx.deps.rejectedOrigins();
    if (query.origin === undefined) return { origins };
    if (!origins.includes(query.origin)) throw invalid(`origin must be one of: ${origins.join(", ") || "(none)"}`);
    const messages = await ctx.store.listRejected(query.origin, limitParam(query.limit, 50, 500));
    return {
      origins,
      data: messages.map((m) => ({
        origin: m.origin,
        reason: m.reason,
        at: new Date(m.at).toISOString(),
        headers: m.headers,
        dataBase64: Buffer.from(m.data.subarray(0, 64 * 1024)).toString("base64"),
        size: m.data.length,
        ...(m.idempotencyKey === undefined ? {} : { idempotencyKey: m.idempotencyKey }),
      })),
    };
  });
}
