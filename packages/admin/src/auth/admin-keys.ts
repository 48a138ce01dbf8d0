import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks an admin API key in constant time: keys are compared as SHA-256 digests, so neither content nor length
 * leaks through timing, and every configured key is compared each time. Answers the key's id (`key_` + the first
 * 8 hex digits of its digest), which names the operator in the audit log without revealing the key.
 */
export function createAdminKeyCheck(keys: readonly string[]): (presented: string) => string | undefined {
  const known = keys.map((key) => ({ digest: digest(key), id: keyId(key) }));
  return (presented) => {
    const candidate = digest(presented);
    let match: string | undefined;
    for (const key of known) if (timingSafeEqual(candidate, key.digest)) match ??= key.id;
    return match;
  };
}

export function keyId(key: string): string {
  return `key_${digest(key).toString("hex").slice(0, 8)}`;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
