import { type AttemptErrorClass, HookyardError } from "@hookyard/core";

/** Code of the HookyardError raised when the SSRF guard refuses a destination. */
export const SSRF_BLOCKED = "SSRF_BLOCKED" as const;

const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NODATA", "EAI_FAIL", "EAI_NONAME", "ENODATA"]);
const CONNECT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EHOSTDOWN"]);
const TOO_LARGE_CODES = new Set(["UND_ERR_HEADERS_OVERFLOW", "UND_ERR_RES_EXCEEDED_MAX_SIZE"]);
const TLS_CODES = new Set([
  "UND_ERR_PRX_TLS",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "HOSTNAME_MISMATCH",
]);

/** Maps an error from undici / node:net / node:tls / the SSRF guard to a stable attempt error class. */
export function errorClassOf(error: unknown): AttemptErrorClass {
  for (const item of errorChain(error)) {
    if (isSsrfBlocked(item)) return "ssrf_blocked";
    const code = typeof item.code === "string" ? item.code : "";
    if (TIMEOUT_CODES.has(code)) return "timeout";
    if (DNS_CODES.has(code) || item.syscall === "getaddrinfo") return "dns";
    if (CONNECT_CODES.has(code)) return "connect";
    if (TOO_LARGE_CODES.has(code)) return "body_too_large";
    if (TLS_CODES.has(code) || /^(ERR_TLS_|ERR_SSL_|CERT_)/.test(code)) return "tls";
    // undici reports a refused CONNECT tunnel as an aborted request; it is the proxy refusing to connect.
    if (item instanceof Error && /^Proxy response \(\d+\)/.test(item.message)) return "connect";
  }
  return "network";
}

function isSsrfBlocked(error: Error): boolean {
  return error instanceof HookyardError && error.code === SSRF_BLOCKED;
}

type ErrorLike = Error & { code?: unknown; syscall?: unknown; errors?: unknown; cause?: unknown };

/** The error, its causes and (for AggregateError from happy-eyeballs connects) its members, breadth-first. */
function* errorChain(error: unknown): Generator<ErrorLike> {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const item = queue.shift();
    if (!(item instanceof Error)) continue;
    const like = item as ErrorLike;
    yield like;
    if (like.cause !== undefined) queue.push(like.cause);
    if (Array.isArray(like.errors)) queue.push(...like.errors);
  }
}

/** A short message for the attempt log: the error's own message, plus its code when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Happy-eyeballs connects fail with an AggregateError whose own message is empty.
  const members = (error as ErrorLike).errors;
  if (error.message === "" && Array.isArray(members) && members[0] instanceof Error) {
    return members.map((member) => describeError(member)).join("; ");
  }
  const code = (error as ErrorLike).code;
  const message = error.message || error.name;
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
