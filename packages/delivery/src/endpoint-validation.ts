import { createPrivateKey, X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import {
  configError,
  type Endpoint,
  type HookyardError,
  isCredentialHeader,
  isSafeHeaderValue,
  REDACTED,
} from "@hookyard/core";
import { isExpired } from "./signer.js";
import { decodeSigningKey } from "./signing-keys.js";

/** An endpoint checked once and turned into what each request needs. */
export interface PreparedEndpoint {
  readonly endpoint: Endpoint;
  readonly url: URL;
  /** `scheme://host:port`, what undici pools by. */
  readonly origin: string;
  /** Path and query sent on the request line. */
  readonly path: string;
  /** The endpoint's own headers, names lower-cased. */
  readonly customHeaders: Readonly<Record<string, string>>;
  /** The same for the attempt log, credential-looking values replaced by "[redacted]". */
  readonly recordedCustomHeaders: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
  "content-length",
]);
// Set by Hookyard itself for every request.
const RESERVED = new Set(["content-type"]);

/**
 * Checks an endpoint the way the config loader and the admin API should before accepting it: a http(s) URL
 * without credentials, safe custom headers, at least one decodable and active signing secret, a usable proxy URL
 * and TLS material. Throws a CONFIG_INVALID HookyardError naming the endpoint and the offending field.
 */
export function validateEndpoint(endpoint: Endpoint, nowMs: number = Date.now()): void {
  prepareEndpoint(endpoint, nowMs);
}

/** `validateEndpoint` plus the parsed pieces each request reuses. */
export function prepareEndpoint(endpoint: Endpoint, nowMs: number = Date.now()): PreparedEndpoint {
  const label = `endpoint ${JSON.stringify(endpoint.id)}`;
  const fail = (field: string, message: string): HookyardError =>
    configError(`${label}: ${message}`, { endpoint: endpoint.id, field });

  const url = parseHttpUrl(endpoint.url, "url", fail);
  const { customHeaders, recordedCustomHeaders } = checkHeaders(endpoint.headers, fail);
  checkSecrets(endpoint, nowMs, fail);
  if (endpoint.proxy !== undefined) parseHttpUrl(endpoint.proxy, "proxy", fail);
  if (endpoint.tls !== undefined) checkTls(endpoint.tls, fail);
  if (!(endpoint.policy.timeoutMs > 0)) throw fail("policy.timeoutMs", "policy.timeoutMs must be a positive number");
  return {
    endpoint,
    url,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    customHeaders,
    recordedCustomHeaders,
  };
}

type Fail = (field: string, message: string) => HookyardError;

function parseHttpUrl(text: string, field: string, fail: Fail): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(field, `${field} is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw fail(field, `${field} must be http:// or https://, not ${url.protocol}`);
  }
  if (field === "url" && (url.username !== "" || url.password !== "")) {
    // Credentials in the URL would leak into logs; an Authorization header is explicit and redacted.
    throw fail(field, "url must not carry credentials; use an Authorization header instead");
  }
  return url;
}

function checkHeaders(
  headers: Readonly<Record<string, string>>,
  fail: Fail,
): Pick<PreparedEndpoint, "customHeaders" | "recordedCustomHeaders"> {
  const customHeaders: Record<string, string> = {};
  const recordedCustomHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const field = `headers.${name}`;
    const shown = JSON.stringify(name);
    if (/[\r\n\0]/.test(name)) throw fail(field, `header name ${shown} contains CR, LF or NUL`);
    if (!TOKEN.test(name)) throw fail(field, `header name ${shown} is not a valid HTTP token`);
    if (typeof value !== "string") throw fail(field, `header ${shown} must have a string value`);
    if (!isSafeHeaderValue(value)) {
      throw fail(field, `header ${shown} value contains CR, LF, NUL or another control character`);
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith("proxy-")) {
      throw fail(field, `header ${shown} is a hop-by-hop or connection header and cannot be set per endpoint`);
    }
    if (lower.startsWith("webhook-")) {
      throw fail(field, `header ${shown} is reserved for Standard Webhooks signing (webhook-*)`);
    }
    if (RESERVED.has(lower)) throw fail(field, `header ${shown} is set by Hookyard from the event`);
    if (lower in customHeaders) throw fail(field, `header ${shown} is given twice (names are case-insensitive)`);
    customHeaders[lower] = value;
    recordedCustomHeaders[lower] = isCredentialHeader(lower) ? REDACTED : value;
  }
  return { customHeaders: Object.freeze(customHeaders), recordedCustomHeaders: Object.freeze(recordedCustomHeaders) };
}

function checkSecrets(endpoint: Endpoint, nowMs: number, fail: Fail): void {
  if (endpoint.secrets.length === 0) throw fail("secrets", "needs at least one signing secret");
  let active = 0;
  endpoint.secrets.forEach((entry, index) => {
    const field = `secrets[${index}]`;
    try {
      decodeSigningKey(entry.secret);
    } catch (error) {
      throw fail(field, `${field}: ${(error as Error).message}`);
    }
    if (entry.expiresAt !== undefined && Number.isNaN(Date.parse(entry.expiresAt))) {
      throw fail(`${field}.expiresAt`, `${field}.expiresAt is not an ISO time`);
    }
    if (!isExpired(entry, nowMs)) active++;
  });
  if (active === 0) throw fail("secrets", "every signing secret has expired; at least one must be active");
}

function checkTls(tls: NonNullable<Endpoint["tls"]>, fail: Fail): void {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw fail("tls", "tls.cert and tls.key go together (mTLS client certificate)");
  }
  if (tls.ca !== undefined) checkCertificates(tls.ca, "tls.ca", fail);
  if (tls.cert !== undefined) checkCertificates(tls.cert, "tls.cert", fail);
  if (tls.key !== undefined) {
    try {
      createPrivateKey(tls.key);
    } catch {
      throw fail("tls.key", "tls.key is not a usable PEM private key");
    }
  }
  try {
    // Catches a cert/key pair that does not belong together.
    createSecureContext({
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    });
  } catch (error) {
    // The OpenSSL message names what is wrong without echoing the key.
    throw fail("tls", `tls material is unusable: ${(error as Error).message}`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

function checkCertificates(pem: string, field: string, fail: Fail): void {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw fail(field, `${field} must be PEM certificates (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw fail(field, `${field} holds a PEM certificate that does not parse`);
    }
  }
}
