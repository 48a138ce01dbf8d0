import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Portal tokens: `hyp1.<payload>.<signature>`, both base64url; the payload is JSON `{ own, iat, exp, scp }` (owner,
 * issued and expiry times in ms, scope `read` | `manage`; tokens without `scp` predate scopes and are `manage`) and the signature HMAC-SHA256 of `hyp1.<payload>` with the portal signing key.
 * Compact and dependency-free; verified in constant time, refused once expired.
 */
export const PORTAL_TOKEN_PREFIX = "hyp1.";
const MAX_TOKEN_LENGTH = 2048;

/** `read`: see only; `manage`: also create, change, delete, retry, replay, rotate. */
export type PortalScope = "read" | "manage";
export const PORTAL_SCOPES: readonly PortalScope[] = ["read", "manage"];

export interface PortalClaims {
  readonly owner: string;
  readonly scope: PortalScope;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface PortalTokens {
  issue(owner: string, now: number, ttlMs: number, scope?: PortalScope): { token: string; expiresAt: number };
  /** The claims of a valid, unexpired token, else undefined (with why, for the error message). */
  verify(token: string, now: number): PortalClaims | { readonly refused: "invalid" | "expired" };
}

export function createPortalTokens(signingKey: string): PortalTokens {
  const sign = (text: string) => createHmac("sha256", signingKey).update(text).digest();
  return {
    issue(owner, now, ttlMs, scope = "manage") {
      const expiresAt = now + ttlMs;
      const claims = { own: owner, iat: now, exp: expiresAt, scp: scope };
      const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
      const signed = `${PORTAL_TOKEN_PREFIX}${payload}`;
      return { token: `${signed}.${sign(signed).toString("base64url")}`, expiresAt };
    },
    verify(token, now) {
      if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PORTAL_TOKEN_PREFIX)) return { refused: "invalid" };
      const dot = token.lastIndexOf(".");
      if (dot <= PORTAL_TOKEN_PREFIX.length) return { refused: "invalid" };
      const signed = token.slice(0, dot);
      const presented = Buffer.from(token.slice(dot + 1), "base64url");
      const expected = sign(signed);
      // The expected signature has a fixed length, so comparing lengths first leaks nothing about the key.
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { refused: "invalid" };
      let claims: unknown;
      try {
        claims = JSON.parse(Buffer.from(signed.slice(PORTAL_TOKEN_PREFIX.length), "base64url").toString("utf8"));
      } catch {
        return { refused: "invalid" };
      }
      const { own, iat, exp, scp } = (claims ?? {}) as { own?: unknown; iat?: unknown; exp?: unknown; scp?: unknown };
      if (typeof own !== "string" || typeof iat !== "number" || typeof exp !== "number") return { refused: "invalid" };
      if (scp !== undefined && !PORTAL_SCOPES.includes(scp as PortalScope)) return { refused: "invalid" };
      if (exp <= now) return { refused: "expired" };
      return { owner: own, scope: (scp as PortalScope | undefined) ?? "manage", issuedAt: iat, expiresAt: exp };
    },
  };
}
