import { describeValue } from "../config/describe-value.js";
import { specError } from "./filter-error.js";

/**
 * Event-type patterns. Types are dot-separated segments ("invoice.payment.failed").
 * - An exact name matches itself only.
 * - `*` as a whole segment matches exactly one segment: `invoice.*` matches "invoice.paid", not
 *   "invoice.payment.failed" nor "invoice".
 * - `**` as a whole segment matches one or more segments: `invoice.**` matches "invoice.paid" and
 *   "invoice.payment.failed", not "invoice".
 * - A pattern that is just `*` or `**` matches every type.
 * Wildcards inside a segment ("inv*") are refused so a pattern means what it looks like.
 */
export interface TypePattern {
  readonly pattern: string;
  /** Set when the pattern has no wildcard: the one type it matches (routers index these). */
  readonly exact?: string;
  matches(type: string): boolean;
}

const MAX_PATTERN_LENGTH = 256;

export function compileTypePattern(pattern: unknown, where: string): TypePattern {
  if (typeof pattern !== "string" || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw specError(
      where,
      "",
      `an event type or glob of 1 to ${MAX_PATTERN_LENGTH} characters`,
      describeValue(pattern),
    );
  }
  if (pattern === "*" || pattern === "**") return Object.freeze({ pattern, matches: () => true });
  const segments = pattern.split(".");
  for (const segment of segments) {
    if (segment.length === 0) {
      throw specError(where, "", "a type glob without empty segments", JSON.stringify(pattern));
    }
    if (segment.includes("*") && segment !== "*" && segment !== "**") {
      throw specError(where, "", "* or ** as whole segments only (e.g. invoice.*)", JSON.stringify(pattern));
    }
  }
  if (!pattern.includes("*")) {
    return Object.freeze({ pattern, exact: pattern, matches: (type: string) => type === pattern });
  }
  const source = segments
    .map((segment) => {
      if (segment === "*") return "[^.]+";
      if (segment === "**") return "[^.]+(?:\\.[^.]+)*";
      return segment.replace(/[\\^$.|?+()[\]{}]/g, "\\$&");
    })
    .join("\\.");
  const regex = new RegExp(`^${source}$`);
  return Object.freeze({ pattern, matches: (type: string) => regex.test(type) });
}
