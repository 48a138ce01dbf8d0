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

/** The same for keys that may change (a config reload): rebuilt when `current()` answers a new list. */
export function createCurrentAdminKeyCheck(
  current: () => readonly string[],
): (presented: string) => string | undefined {
  let keys = current();
  let check = createAdminKeyCheck(keys);
  return (presented) => {
    const now = current();
    if (now !== keys) {
      keys = now;
      check = createAdminKeyCheck(now);
    }
    return check(presented);
  };
}

export function keyId(key: string): string {
  return `key_${secretDigest(key).toString("hex").slice(0, 8)}`;
}
