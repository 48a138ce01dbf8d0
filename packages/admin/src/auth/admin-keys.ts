import { createSecretCheck, secretDigest } from "@hookyard/core";

/**
 * Checks an admin API key (in constant time, see createSecretCheck) and answers the key's id (`key_` + the first
 * 8 hex digits of its digest), which names the operator in the audit log without revealing the key.
 */
export function createAdminKeyCheck(keys: readonly string[]): (presented: string) => string | undefined {
  const ids = keys.map(keyId);
  const check = createSecretCheck(keys);
  return (presented) => ids[check(presented)];
}

export function keyId(key: string): string {
  return `key_${secretDigest(key).toString("hex").slice(0, 8)}`;
}
