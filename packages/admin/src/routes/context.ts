import type { SchedulerStore } from "@hookyard/scheduler";
import type { FastifyRequest } from "fastify";
import { ApiError, notFound } from "../api-error.js";
import type { PortalTokens } from "../auth/portal-token.js";
import { mayAccess, type Principal } from "../auth/principal.js";
import type { DeliveryLog } from "../delivery-log.js";
import type { AdminDependencies } from "../deps.js";
import type { ReplayJobs } from "../replay/replay-jobs.js";
import type { AuditLog } from "../state/audit-log.js";
import type { ManagedEndpoint } from "../state/endpoint-registry.js";
import type { UrlSafetyCheck } from "./url-safety.js";

/** What every route file gets. */
export interface RouteContext {
  readonly deps: AdminDependencies;
  readonly store: SchedulerStore;
  /** Deliveries over both tiers (live in the scheduler, settled in the history). */
  readonly log: DeliveryLog;
  readonly now: () => number;
  readonly audit: AuditLog;
  readonly jobs: ReplayJobs;
  readonly tokens: PortalTokens | undefined;
  /** Refuses (400) an endpoint URL the egress SSRF policy would refuse to connect to. */
  readonly checkUrl: UrlSafetyCheck;
  principal(request: FastifyRequest): Principal;
  /** The endpoint if it exists and the principal may see it (else 404: a portal never learns others' ids). */
  endpointFor(request: FastifyRequest, id: string): ManagedEndpoint;
  /** Throws 403 unless the principal is an operator. */
  requireAdmin(request: FastifyRequest): void;
  /** The endpoint ids the principal may see, narrowed by an optional owner; undefined = all (operator). */
  visibleEndpointIds(request: FastifyRequest, owner?: string): string[] | undefined;
}

export function createRouteContext(
  base: Omit<RouteContext, "principal" | "endpointFor" | "requireAdmin" | "visibleEndpointIds">,
  principals: WeakMap<FastifyRequest, Principal>,
): RouteContext {
  const principal = (request: FastifyRequest): Principal => {
    const found = principals.get(request);
    if (found === undefined) throw new ApiError(401, "UNAUTHORIZED", "authentication required");
    return found;
  };
  return {
    ...base,
    principal,
    endpointFor(request, id) {
      const managed = base.deps.registry.managed(id);
      if (managed === undefined || !mayAccess(principal(request), managed.endpoint.owner)) throw notFound("endpoint");
      return managed;
    },
    requireAdmin(request) {
      if (principal(request).kind !== "admin") throw new ApiError(403, "FORBIDDEN", "an admin API key is required");
    },
    visibleEndpointIds(request, owner) {
      const who = principal(request);
      const scope = who.kind === "portal" ? who.owner : owner;
      if (who.kind === "portal" && owner !== undefined && owner !== who.owner) return [];
      return scope === undefined ? undefined : base.deps.registry.ownerEndpointIds(scope);
    },
  };
}
