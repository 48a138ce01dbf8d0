import type { JsonValue } from "./history-store.js";

/**
 * PostgreSQL's jsonb containment (`doc @> pattern`), for the memory store: an object contains another when every
 * key of the pattern is present with a contained value; an array contains another when every element of the
 * pattern is contained in some element (order and duplicates ignored); scalars must be equal. As in PostgreSQL,
 * a top-level array also contains a lone scalar that is one of its elements.
 */
export function jsonContains(doc: unknown, pattern: JsonValue, topLevel = true): boolean {
  if (Array.isArray(doc)) {
    if (Array.isArray(pattern)) return pattern.every((p) => doc.some((d) => jsonContains(d, p, false)));
    return topLevel && isScalar(pattern) && doc.some((d) => isScalar(d) && d === pattern);
  }
  if (isObject(doc)) {
    if (!isObject(pattern)) return false;
    return Object.entries(pattern).every(
      ([key, value]) => Object.hasOwn(doc, key) && jsonContains(doc[key], value, false),
    );
  }
  return !Array.isArray(pattern) && !isObject(pattern) && doc === pattern;
}

function isObject(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object";
}
