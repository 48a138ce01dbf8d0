import { describeValue, isCredentialHeader, isSafeHeaderValue } from "@hookyard/core";
import type { ProblemCollector } from "./collect-problems.js";
import type { Segments } from "./key-path.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Set by Hookyard itself on every delivery, or by the HTTP layer. */
const RESERVED = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

/** Checks an endpoint's `headers` map; returns it with lower-case names. Scalars are written as text. */
export function checkHeaders(raw: unknown, segments: Segments, problems: ProblemCollector): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === undefined || raw === null) return headers;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.add(segments, "a map of header names to values", describeValue(raw));
    return headers;
  }
  for (const [name, value] of Object.entries(raw)) {
    const at = [...segments, name];
    const lower = name.toLowerCase();
    const sensitive = isCredentialHeader(lower);
    if (!TOKEN.test(name)) {
      problems.add(at, "a header name (letters, digits and !#$%&'*+-.^_`|~)", JSON.stringify(name));
    } else if (RESERVED.has(lower)) {
      problems.add(at, "a header Hookyard does not set itself", JSON.stringify(name));
    } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      problems.add(at, "a header value (text)", describeValue(value, { sensitive }));
    } else if (!isSafeHeaderValue(String(value))) {
      problems.add(
        at,
        "a header value without control characters (CR, LF, NUL)",
        describeValue(value, { sensitive: true }),
      );
    } else {
      headers[lower] = String(value);
    }
  }
  return headers;
}
