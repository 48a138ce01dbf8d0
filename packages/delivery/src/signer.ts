import { createHmac, sign } from "node:crypto";
import { configError, type SigningSecret } from "@hookyard/core";
import { decodeSigningKey, type SigningKey } from "./signing-keys.js";

export interface SignInput {
  /** The message id (`webhook-id`). */
  readonly id: string;
  /** Unix seconds (`webhook-timestamp`), or a Date. Also the instant against which `expiresAt` is judged. */
  readonly timestamp: number | Date;
  /** Exactly the bytes that are sent. A string is signed as its UTF-8 encoding. */
  readonly payload: Uint8Array | string;
  /** All secrets of the endpoint; expired ones are skipped, every active one signs (rotation). */
  readonly secrets: readonly (SigningSecret | string)[];
}

export interface Signer {
  /** The `webhook-signature` header value: space-separated `v1,<base64>` / `v1a,<base64>` entries. */
  sign(input: SignInput): string;
}

export interface SignerOptions {
  /** Decoded keys kept, by secret string. Default 10,000. */
  readonly maxCachedKeys?: number;
}

/**
 * A signer that decodes each secret once (base64 + key object) and reuses it: on the hot path a signature costs
 * one HMAC (or one ed25519 sign) per active secret.
 */
export function createSigner(options: SignerOptions = {}): Signer {
  const maxCachedKeys = options.maxCachedKeys ?? 10_000;
  const cache = new Map<string, SigningKey>();
  const keyFor = (secret: string): SigningKey => {
    let key = cache.get(secret);
    if (key === undefined) {
      key = decodeSigningKey(secret);
      // Insertion-ordered Map: dropping the first entry evicts the oldest key.
      if (cache.size >= maxCachedKeys) cache.delete(cache.keys().next().value ?? "");
      cache.set(secret, key);
    }
    return key;
  };
  return { sign: (input) => signWith(input, keyFor) };
}

/** One-off signing without a key cache (tests, tools). Prefer `createSigner()` in long-lived code. */
export function signPayload(input: SignInput): string {
  return signWith(input, decodeSigningKey);
}

function signWith(input: SignInput, keyFor: (secret: string) => SigningKey): string {
  const seconds = typeof input.timestamp === "number" ? input.timestamp : Math.floor(input.timestamp.getTime() / 1000);
  if (!Number.isSafeInteger(seconds)) throw new TypeError("signing timestamp must be whole unix seconds");
  const nowMs = seconds * 1000;
  const prefix = Buffer.from(`${input.id}.${seconds}.`, "utf8");
  const payload = typeof input.payload === "string" ? Buffer.from(input.payload, "utf8") : input.payload;
  let signed: Buffer | undefined;
  const parts: string[] = [];
  for (const entry of input.secrets) {
    const secret = typeof entry === "string" ? entry : entry.secret;
    if (typeof entry !== "string" && isExpired(entry, nowMs)) continue;
    const key = keyFor(secret);
    if (key.scheme === "v1") {
      parts.push(`v1,${createHmac("sha256", key.key).update(prefix).update(payload).digest("base64")}`);
    } else {
      signed ??= Buffer.concat([prefix, payload]);
      parts.push(`v1a,${sign(null, signed, key.key).toString("base64")}`);
    }
  }
  if (parts.length === 0) throw configError("endpoint has no active signing secret (all expired or none configured)");
  return parts.join(" ");
}

/** A secret whose `expiresAt` is at or before `nowMs` no longer signs. An unparsable time counts as expired. */
export function isExpired(secret: SigningSecret, nowMs: number): boolean {
  if (secret.expiresAt === undefined) return false;
  const expires = Date.parse(secret.expiresAt);
  return Number.isNaN(expires) || expires <= nowMs;
}
