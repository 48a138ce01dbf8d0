import { createSecretCheck } from "@hookyard/core";
import { secretListFormat } from "../config/formats.js";
import { secretsKey, typeKey } from "./common-keys.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface BasicAuthOptions {
  type: "basic-auth";
  secrets: string[];
}

/** The `user:password` of an `Authorization: Basic <base64>` header, or undefined. */
export function parseBasicAuth(header: string): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match?.[1] === undefined || match[1].length > 1024) return undefined;
  const credentials = Buffer.from(match[1], "base64").toString("utf8");
  return credentials.includes(":") ? credentials : undefined;
}

/**
 * For providers that can only put credentials in the URL or an Authorization header (`https://user:pass@…`).
 * Weaker than a signature (no integrity of the body): use it only where the provider offers nothing else.
 */
export const basicAuthVerifier: VerifierDefinition<BasicAuthOptions> = {
  type: "basic-auth",
  schema: {
    type: typeKey("basic-auth"),
    secrets: secretsKey(
      'Accepted credentials, each "user:password".',
      secretListFormat('"user:password" with a password of at least 8 characters', (secret) =>
        /^[^:]+:.{8,}$/s.test(secret),
      ),
    ),
  },
  sensitiveHeaders: () => ["authorization"],
  keepHeaders: [],
  create(options) {
    const matches = createSecretCheck(options.secrets);
    return {
      verify(request) {
        const header = request.headers.authorization;
        if (header === undefined) return rejected("missing credentials");
        const credentials = parseBasicAuth(header);
        if (credentials === undefined) return rejected("malformed credentials");
        return matches(credentials) !== -1 ? { ok: true } : rejected("wrong credentials");
      },
    };
  },
};
