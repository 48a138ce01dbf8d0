import { type KeyObject, verify as verifyEd25519 } from "node:crypto";
import { createSigner, ED25519_PUBLIC_PREFIX, publicKeyObject, SYMMETRIC_PREFIX } from "@hookyard/delivery";
import { secretListFormat } from "../config/formats.js";
import { jsonObjectOf, textField } from "./body-fields.js";
import { secretsKey, toleranceKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeBase64 } from "./decode.js";
import { checkTimestamp } from "./timestamp.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface StandardWebhooksOptions {
  type: "standard-webhooks";
  secrets: string[];
  tolerance: number;
}

/** One `version,base64` entry of a `webhook-signature` header. */
export interface StandardSignature {
  readonly version: string;
  readonly signature: Buffer;
}

const MAX_SIGNATURES = 20;
const MAX_ID_LENGTH = 256;

/**
 * Parses `webhook-signature`: space-separated `v1,<base64>` / `v1a,<base64>` entries. Entries of unknown
 * versions are kept (the caller ignores them); malformed base64 or too many entries make the whole header invalid.
 */
export function parseStandardSignatures(header: string): StandardSignature[] | undefined {
  const entries = header.split(" ").filter((entry) => entry.length > 0);
  if (entries.length === 0 || entries.length > MAX_SIGNATURES) return undefined;
  const parsed: StandardSignature[] = [];
  for (const entry of entries) {
    const comma = entry.indexOf(",");
    if (comma <= 0) return undefined;
    const signature = decodeBase64(entry.slice(comma + 1));
    if (signature === undefined) return undefined;
    parsed.push({ version: entry.slice(0, comma), signature });
  }
  return parsed;
}

/** `whsec_` (HMAC-SHA256, v1) or `whpk_` (ed25519 public key, v1a): the formats Hookyard's own signer uses. */
export function isStandardWebhooksSecret(secret: string): boolean {
  try {
    if (secret.startsWith(ED25519_PUBLIC_PREFIX)) return publicKeyObject(secret) !== undefined;
    if (secret.startsWith(SYMMETRIC_PREFIX)) {
      createSigner().sign({ id: "x", timestamp: 0, payload: "", secrets: [secret] });
      return true;
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Standard Webhooks (and Svix, which sends the same scheme under `svix-*` header names): the signed content is
 * `${id}.${timestamp}.${body}`; `v1` is HMAC-SHA256 with the `whsec_` secret, `v1a` ed25519 checked with the
 * sender's `whpk_` public key.
 */
export const standardWebhooksVerifier: VerifierDefinition<StandardWebhooksOptions> = {
  type: "standard-webhooks",
  schema: {
    type: typeKey("standard-webhooks"),
    secrets: secretsKey(
      'The sender\'s signing secrets: "whsec_" + base64 (HMAC-SHA256, v1 signatures) or "whpk_" + base64 of the sender\'s 32-byte ed25519 public key (v1a signatures).',
      secretListFormat('"whsec_…" or "whpk_…"', isStandardWebhooksSecret),
    ),
    tolerance: toleranceKey(),
  },
  sensitiveHeaders: () => ["webhook-signature", "svix-signature"],
  keepHeaders: ["webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"],
  create(options) {
    // Hookyard's outbound signer computes v1 exactly as a sender does; reusing it keeps one implementation.
    const signer = createSigner();
    const hmacSecrets = options.secrets.filter((secret) => secret.startsWith(SYMMETRIC_PREFIX));
    const publicKeys: KeyObject[] = options.secrets
      .filter((secret) => secret.startsWith(ED25519_PUBLIC_PREFIX))
      .map((secret) => publicKeyObject(secret));
    return {
      verify(request, now) {
        const prefix = request.headers["webhook-id"] !== undefined ? "webhook" : "svix";
        const id = request.headers[`${prefix}-id`];
        const timestamp = request.headers[`${prefix}-timestamp`];
        const header = request.headers[`${prefix}-signature`];
        if (id === undefined || id.length === 0 || id.length > MAX_ID_LENGTH) return rejected("missing or bad id");
        if (header === undefined) return rejected("missing signature");
        const stale = checkTimestamp(timestamp, now, options.tolerance);
        if (stale !== undefined) return rejected(stale);
        const signatures = parseStandardSignatures(header);
        if (signatures === undefined) return rejected("malformed signature header");
        const v1 = signatures.filter((entry) => entry.version === "v1").map((entry) => entry.signature);
        const v1a = signatures.filter((entry) => entry.version === "v1a").map((entry) => entry.signature);
        if (v1.length === 0 && v1a.length === 0) return rejected("no signature of a supported version");
        const expected = hmacSecrets.map((secret) => {
          const value = signer.sign({ id, timestamp: Number(timestamp), payload: request.rawBody, secrets: [secret] });
          return Buffer.from(value.slice("v1,".length), "base64");
        });
        let valid = anyMacMatches(expected, v1);
        const signed =
          v1a.length > 0 && publicKeys.length > 0
            ? Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), request.rawBody])
            : Buffer.alloc(0);
        for (const key of v1a.length > 0 ? publicKeys : []) {
          for (const signature of v1a) {
            if (signature.length === 64 && verifyEd25519(null, signed, key, signature)) valid = true;
          }
        }
        if (!valid) return rejected("signature mismatch");
        const eventType = textField(jsonObjectOf(request.rawBody), "type");
        return { ok: true, eventId: id, ...(eventType === undefined ? {} : { eventType }) };
      },
    };
  },
};
