/** What a redacted value is shown as, everywhere (logs, attempt records, the admin API, `validate` output). */
export const REDACTED = "[redacted]";

// Names that carry credentials or signatures, whatever the provider calls them: x-api-key, authorization,
// stripe-signature, x-hub-signature-256, x-shopify-hmac-sha256, cookie, x-auth-token, …
const CREDENTIAL_NAME = /auth|cookie|token|secret|passw|api[-_]?key|credential|session|signature|hmac/i;

/** Whether a header's value is a secret: never logged, recorded or shown as it is. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

export interface RedactOptions {
  /** More names to redact (lower-case), e.g. an ingress route's own signature header. */
  readonly sensitive?: ReadonlySet<string>;
  /** Longer values are cut (with "…"); default: kept whole. */
  readonly maxValueLength?: number;
  /** At most this many headers are kept; default: all. */
  readonly maxHeaders?: number;
}

/** The headers fit for a log, a record or an API answer: credential values become "[redacted]". */
export function redactHeaders(
  headers: Readonly<Record<string, string>>,
  options: RedactOptions = {},
): Record<string, string> {
  const { sensitive, maxValueLength = Number.POSITIVE_INFINITY, maxHeaders = Number.POSITIVE_INFINITY } = options;
  const result: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (count++ >= maxHeaders) break;
    if (sensitive?.has(name.toLowerCase()) || isCredentialHeader(name)) result[name] = REDACTED;
    else result[name] = value.length > maxValueLength ? `${value.slice(0, maxValueLength)}…` : value;
  }
  return result;
}
