import type { InboundRequest } from "./verifier.js";

/** The body as a JSON object, or undefined when it is not one. Only for reading ids and types after verification. */
export function jsonObjectOf(rawBody: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(rawBody.toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A string (or finite number, as text) field of an object, else undefined. */
export function textField(record: unknown, key: string): string | undefined {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return undefined;
  if (!Object.hasOwn(record, key)) return undefined;
  const value = (record as Record<string, unknown>)[key];
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** application/x-www-form-urlencoded fields; a repeated name keeps every value. */
export function formFieldsOf(rawBody: Buffer): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(rawBody.toString("utf8"))) {
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [existing, value];
  }
  return fields;
}

export function isForm(request: InboundRequest): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(request.headers["content-type"] ?? "");
}

export function isJson(request: InboundRequest): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(request.headers["content-type"] ?? "");
}
