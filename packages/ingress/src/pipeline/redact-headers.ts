const CREDENTIAL = /authorization|cookie|signature|hmac|token|secret|password|api[-_]?key|session/i;
const MAX_VALUE = 256;
const MAX_HEADERS = 64;

/**
 * Headers fit for a log: signature and credential headers (the route's own list plus anything that looks like
 * one) become "[redacted]", long values are cut, and at most 64 headers are kept.
 */
export function redactHeaders(
  headers: Readonly<Record<string, string>>,
  sensitive: ReadonlySet<string>,
): Record<string, string> {
  const result: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (count++ >= MAX_HEADERS) break;
    if (sensitive.has(name) || CREDENTIAL.test(name)) result[name] = "[redacted]";
    else result[name] = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  }
  return result;
}
