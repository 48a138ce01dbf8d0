import { createHash } from "node:crypto";
import { firstValueAt } from "@hookyard/core";
import type { IngressRoute, ValueSource } from "../config/route.js";
import { formFieldsOf, isForm, isJson } from "../verifiers/body-fields.js";
import type { InboundRequest } from "../verifiers/verifier.js";

const MAX_ID = 200;
const MAX_TYPE = 256;

/** The body as rules and `jsonPath` see it: parsed JSON, decoded form fields, or undefined. */
export function bodyDocumentOf(request: InboundRequest): unknown {
  if (isForm(request)) return formFieldsOf(request.rawBody);
  if (isJson(request) || request.headers["content-type"] === undefined) {
    try {
      return JSON.parse(request.rawBody.toString("utf8"));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function valueFrom(source: ValueSource, request: InboundRequest, body: unknown): string | undefined {
  if ("value" in source) return source.value;
  if ("header" in source) return request.headers[source.header] || undefined;
  const found = firstValueAt(body, source.jsonPath);
  if (typeof found === "string" && found.length > 0) return found;
  if (typeof found === "number" && Number.isFinite(found)) return String(found);
  return undefined;
}

/**
 * The event's id and type: the route's override, else the verifier's, else a hash of the body (id) and
 * `ingress.<route id>` (type). An id too long for an envelope is replaced by its hash.
 */
export function eventFieldsOf(
  route: IngressRoute,
  request: InboundRequest,
  body: unknown,
  verified: { readonly eventId?: string; readonly eventType?: string },
): { id: string; type: string } {
  const id =
    (route.eventId === undefined ? undefined : valueFrom(route.eventId, request, body)) ??
    verified.eventId ??
    `sha256:${sha256(request.rawBody)}`;
  const type =
    (route.eventType === undefined ? undefined : valueFrom(route.eventType, request, body)) ??
    verified.eventType ??
    `ingress.${route.id}`;
  return {
    id: id.length > MAX_ID ? `sha256:${sha256(Buffer.from(id, "utf8"))}` : id,
    type: type.slice(0, MAX_TYPE),
  };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What rule filters match on. */
export interface RuleDocument {
  readonly id: string;
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  readonly body: unknown;
}

/** The targets of every matching rule (in rule order, each once), or the route's default targets. */
export function targetsOf(route: IngressRoute, document: RuleDocument): string[] {
  const targets = new Set<string>();
  for (const rule of route.rules) {
    if (rule.types.length > 0 && !rule.types.some((pattern) => pattern.matches(document.type))) continue;
    if (rule.filter !== undefined && !rule.filter.matches(document)) continue;
    for (const target of rule.targets) targets.add(target);
  }
  if (targets.size === 0) for (const target of route.defaultTargets) targets.add(target);
  return [...targets];
}

/** The provider headers worth keeping on the envelope: the route's list, never signatures or credentials. */
export function keptHeadersOf(route: IngressRoute, request: InboundRequest): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of route.keepHeaders) {
    const value = request.headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
