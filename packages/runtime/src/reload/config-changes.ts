import type { HookyardConfig } from "../config/types.js";

/** The parts of a config a reload applies; everything else takes a restart. */
export const LIVE_PARTS = [
  "endpoints",
  "subscriptions",
  "eventTypes",
  "ingress.routes",
  "ingest.apiKeys",
  "admin.apiKeys",
] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

export interface ConfigChanges {
  /** Live parts that differ, in LIVE_PARTS order. */
  readonly live: readonly LivePart[];
  /** Key paths (as `validate` names them, never values: some are secrets) that only a restart applies. */
  readonly restartRequired: readonly string[];
}

/** Most restart-only paths listed one by one; beyond it, the rest are counted. */
const MAX_LISTED = 50;

/**
 * What differs between the running config and a new one, compared on the validated config in the file's own keys
 * (`shown`: defaults filled in, `${VAR}`s interpolated), so a value that only moved, or a default now written out,
 * is no change. `ingressServed`: whether the running instance serves inbound webhooks at all (it opens their
 * de-duplication store only when it started with routes; going from none to some takes a restart).
 */
export function configChanges(
  running: HookyardConfig,
  next: HookyardConfig,
  options: { readonly ingressServed: boolean },
): ConfigChanges {
  const before = withoutLive(running.shown);
  const after = withoutLive(next.shown);
  const restart: string[] = [];
  collectDifferences(before, after, "", restart);
  const live: LivePart[] = [];
  if (differs(running.shown.endpoints, next.shown.endpoints)) live.push("endpoints");
  if (differs(running.shown.subscriptions, next.shown.subscriptions)) live.push("subscriptions");
  if (differs(running.eventTypes, next.eventTypes)) live.push("eventTypes");
  if (differs(routesOf(running.shown), routesOf(next.shown))) {
    if (options.ingressServed || next.ingress.routes.length === 0) live.push("ingress.routes");
    else restart.push("ingress.routes (this instance started without inbound routes)");
  }
  if (differs(running.ingest.apiKeys, next.ingest.apiKeys)) live.push("ingest.apiKeys");
  if (differs(running.admin.apiKeys, next.admin.apiKeys)) live.push("admin.apiKeys");
  const listed =
    restart.length > MAX_LISTED ? [...restart.slice(0, MAX_LISTED), `… ${restart.length - MAX_LISTED} more`] : restart;
  return { live, restartRequired: listed };
}

function withoutLive(shown: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { endpoints: _e, subscriptions: _s, eventTypes: _t, ingress, ingest, admin, ...rest } = shown;
  return {
    ...rest,
    ingress: without(ingress, "routes"),
    ingest: without(ingest, "apiKeys"),
    admin: without(admin, "apiKeys"),
  };
}

function without(section: unknown, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = (section ?? {}) as Record<string, unknown>;
  return rest;
}

function routesOf(shown: Readonly<Record<string, unknown>>): unknown {
  return (shown.ingress as Record<string, unknown> | undefined)?.routes;
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** Leaf paths where `a` and `b` differ: `server.port`, `sources[0].config.brokers`, `sinks[2]` (added). */
function collectDifferences(a: unknown, b: unknown, path: string, into: string[]): void {
  if (!differs(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.max(a.length, b.length); index++) {
      collectDifferences(a[index], b[index], `${path}[${index}]`, into);
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      collectDifferences(a[key], b[key], path === "" ? key : `${path}.${key}`, into);
    }
    return;
  }
  into.push(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
