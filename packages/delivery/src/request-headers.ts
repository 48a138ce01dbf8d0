import { createRequire } from "node:module";
import { type Endpoint, type Envelope, HookyardError } from "@hookyard/core";
import { isSafeHeaderValue, type PreparedEndpoint, prepareEndpoint } from "./endpoint-validation.js";
import { createSigner, type Signer } from "./signer.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

/** `Hookyard/<version>`. */
export const DEFAULT_USER_AGENT = `Hookyard/${version}`;

export interface RequestHeaderOptions {
  readonly signer?: Signer;
  readonly userAgent?: string;
}

/** What goes on the wire and what the attempt log keeps (custom credential headers redacted). */
export interface BuiltHeaders {
  readonly sent: Record<string, string>;
  readonly recorded: Record<string, string>;
}

/**
 * The headers of one attempt: content-type from the envelope, user-agent, the endpoint's own headers, then
 * `webhook-id`, `webhook-timestamp` (unix seconds of `attemptTime`) and `webhook-signature`. Validates the
 * endpoint first (CONFIG_INVALID naming the header); the delivery client prepares each endpoint once instead.
 */
export function buildRequestHeaders(
  endpoint: Endpoint,
  envelope: Envelope,
  attemptTime: Date,
  options: RequestHeaderOptions = {},
): Record<string, string> {
  const prepared = prepareEndpoint(endpoint, attemptTime.getTime());
  return headersFor(prepared, envelope, attemptTime, options.signer ?? createSigner(), options.userAgent).sent;
}

/** Per-request part; `prepared` was validated once. Throws ENVELOPE_INVALID for an unsendable id/content type. */
export function headersFor(
  prepared: PreparedEndpoint,
  envelope: Envelope,
  attemptTime: Date,
  signer: Signer,
  userAgent: string = DEFAULT_USER_AGENT,
): BuiltHeaders {
  if (!isSafeHeaderValue(envelope.id) || !isSafeHeaderValue(envelope.contentType)) {
    throw new HookyardError("ENVELOPE_INVALID", "envelope id or content type contains control characters");
  }
  const timestamp = Math.floor(attemptTime.getTime() / 1000);
  const signature = signer.sign({
    id: envelope.id,
    timestamp,
    payload: envelope.data,
    secrets: prepared.endpoint.secrets,
  });
  const standard = {
    "webhook-id": envelope.id,
    "webhook-timestamp": String(timestamp),
    // Not secret (an HMAC/ed25519 output over public data); kept in the log so customers can debug verification.
    "webhook-signature": signature,
  };
  const base = { "content-type": envelope.contentType, "user-agent": userAgent };
  return {
    sent: { ...base, ...prepared.customHeaders, ...standard },
    recorded: { ...base, ...prepared.recordedCustomHeaders, ...standard },
  };
}
