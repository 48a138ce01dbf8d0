import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/**
 * Checks a request's API key (`Authorization: Bearer <key>` or `X-Api-Key: <key>`) against the configured ones
 * in constant time: keys are compared as SHA-256 digests so neither content nor length leaks through timing.
 */
export function createApiKeyCheck(keys: readonly string[]): (request: FastifyRequest) => boolean {
  const digests = keys.map(digest);
  return (request) => {
    const presented = presentedKey(request);
    if (presented === undefined) return false;
    const candidate = digest(presented);
    let match = false;
    for (const known of digests) match = timingSafeEqual(candidate, known) || match;
    return match;
  };
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const header = request.headers["x-api-key"];
  return typeof header === "string" && header.length > 0 ? header : undefined;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
