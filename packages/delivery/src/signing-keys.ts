import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { configError } from "@hookyard/core";

/**
 * Key formats (Standard Webhooks):
 * - `whsec_<base64>`: symmetric secret, the bytes after the prefix are the HMAC-SHA256 key ("v1" signatures).
 * - `whsk_<base64>`: ed25519 private key as its 32-byte seed (a 64-byte seed‖public-key, libsodium's layout, is
 *   accepted too) ("v1a" signatures).
 * - `whpk_<base64>`: the matching 32-byte raw ed25519 public key that customers verify with.
 */
export const SYMMETRIC_PREFIX = "whsec_";
export const ED25519_SECRET_PREFIX = "whsk_";
export const ED25519_PUBLIC_PREFIX = "whpk_";

const MIN_SYMMETRIC_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// DER prefixes that wrap a raw 32-byte ed25519 seed / public key as PKCS#8 / SPKI.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export type SigningKey =
  | { readonly scheme: "v1"; readonly key: KeyObject }
  | { readonly scheme: "v1a"; readonly key: KeyObject };

/** Decodes a `whsec_` or `whsk_` secret into a key object. Throws CONFIG_INVALID (never echoing the secret). */
export function decodeSigningKey(secret: string): SigningKey {
  if (secret.startsWith(SYMMETRIC_PREFIX)) {
    const bytes = decodeBase64(secret.slice(SYMMETRIC_PREFIX.length), "whsec_");
    if (bytes.length < MIN_SYMMETRIC_BYTES) {
      throw configError(`signing secret whsec_… is shorter than ${MIN_SYMMETRIC_BYTES} bytes`);
    }
    return { scheme: "v1", key: createSecretKey(bytes) };
  }
  if (secret.startsWith(ED25519_SECRET_PREFIX)) {
    return { scheme: "v1a", key: ed25519PrivateKey(secret) };
  }
  throw configError('signing secret must start with "whsec_" (HMAC-SHA256) or "whsk_" (ed25519)');
}

function ed25519PrivateKey(secret: string): KeyObject {
  const bytes = decodeBase64(secret.slice(ED25519_SECRET_PREFIX.length), "whsk_");
  if (bytes.length !== 32 && bytes.length !== 64) {
    throw configError("ed25519 secret whsk_… must hold a 32-byte seed (or 64-byte seed and public key)");
  }
  const seed = bytes.subarray(0, 32);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  if (bytes.length === 64 && !rawPublicKey(key).equals(bytes.subarray(32))) {
    throw configError("ed25519 secret whsk_… holds a public key that does not match its seed");
  }
  return key;
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return spki.subarray(SPKI_ED25519_PREFIX.length);
}

function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw configError(`signing secret ${what}… is not valid base64`);
  return Buffer.from(text, "base64");
}

/** A new random `whsec_` secret (32 bytes, as Standard Webhooks recommends 24 to 64). */
export function generateSecret(): string {
  return SYMMETRIC_PREFIX + randomBytes(32).toString("base64");
}

/** A new ed25519 key pair: `secret` (`whsk_`, keep it in Hookyard's config) and `publicKey` (`whpk_`, give to the customer). */
export function generateSigningKeyPair(): { secret: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  const seed = pkcs8.subarray(PKCS8_ED25519_PREFIX.length);
  return {
    secret: ED25519_SECRET_PREFIX + seed.toString("base64"),
    publicKey: ED25519_PUBLIC_PREFIX + rawPublicKey(privateKey).toString("base64"),
  };
}

/** The `whpk_` public key customers verify `v1a` signatures with, derived from a `whsk_` secret. */
export function publicKeyFromSecret(secret: string): string {
  if (!secret.startsWith(ED25519_SECRET_PREFIX)) throw configError('an ed25519 secret starts with "whsk_"');
  return ED25519_PUBLIC_PREFIX + rawPublicKey(ed25519PrivateKey(secret)).toString("base64");
}

/** A node:crypto public key object from `whpk_…`, for verifiers (and tests). */
export function publicKeyObject(publicKey: string): KeyObject {
  if (!publicKey.startsWith(ED25519_PUBLIC_PREFIX)) throw configError('an ed25519 public key starts with "whpk_"');
  const raw = decodeBase64(publicKey.slice(ED25519_PUBLIC_PREFIX.length), "whpk_");
  if (raw.length !== 32) throw configError("ed25519 public key whpk_… must hold 32 bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}
