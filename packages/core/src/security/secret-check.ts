import { createHash, timingSafeEqual } from "node:crypto";

/** SHA-256 digest, so secrets of any length compare in constant time. */
export function secretDigest(value: string | Buffer): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Checks a presented secret (an API key, basic-auth credentials) against the known ones in constant time: they
 * are compared as SHA-256 digests, so neither content nor length leaks through timing, and every known secret is
 * compared each time (no early exit). Answers the index of the matching secret, or -1.
 */
export function createSecretCheck(secrets: readonly (string | Buffer)[]): (presented: string | Buffer) => number {
  const digests = secrets.map(secretDigest);
  return (presented) => {
    const candidate = secretDigest(presented);
    let found = -1;
    for (const [index, known] of digests.entries()) {
      if (timingSafeEqual(candidate, known) && found === -1) found = index;
    }
    return found;
  };
}

/**
 * The API key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`. The one rule for the
 * ingest API and the admin API.
 */
export function presentedApiKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const header = headers["x-api-key"];
  return typeof header === "string" && header.length > 0 ? header : undefined;
}
