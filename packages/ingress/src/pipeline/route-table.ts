import type { IngressRoute } from "../config/route.js";
import { createAddressCheck } from "./cidr-check.js";

/** A route as served: its address check built once, not per request. */
export interface ServedRoute extends IngressRoute {
  /** False when the route names no allow/deny CIDRs (every address may call it). */
  readonly restricted: boolean;
  readonly allowed: (address: string) => boolean;
}

/** The enabled routes by path; a disabled route is absent, so its path answers 404 like any unknown one. */
export function routeTable(routes: readonly IngressRoute[]): ReadonlyMap<string, ServedRoute> {
  const table = new Map<string, ServedRoute>();
  for (const route of routes) {
    if (!route.enabled) continue;
    table.set(route.path, {
      ...route,
      restricted: route.limits.allowCidrs.length > 0 || route.limits.denyCidrs.length > 0,
      allowed: createAddressCheck(route.limits.allowCidrs, route.limits.denyCidrs),
    });
  }
  return table;
}
