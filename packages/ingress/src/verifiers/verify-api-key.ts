import { createSecretCheck } from "@hookyard/core";
import { headerNameFormat, optionalStringFormat, secretListFormat } from "../config/formats.js";
import { secretsKey, typeKey } from "./common-keys.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface ApiKeyOptions {
  type: "api-key";
  secrets: string[];
  header: string;
  scheme: string | null;
  queryParam: string | null;
}

/** The key after an optional auth scheme (`Bearer <key>`); undefined when the scheme is required and missing. */
export function parseApiKeyHeader(value: string, scheme: string | null): string | undefined {
  const trimmed = value.trim();
  if (scheme === null) return trimmed.length > 0 ? trimmed : undefined;
  const lower = trimmed.toLowerCase();
  const expected = `${scheme.toLowerCase()} `;
  if (!lower.startsWith(expected)) return undefined;
  const key = trimmed.slice(expected.length).trim();
  return key.length > 0 ? key : undefined;
}

/**
 * A shared key in a header (`X-Api-Key: …`, `Authorization: Bearer …`) or, for providers that can only call a
 * URL, a query parameter. Like basic auth it proves the sender knows the key, not that the body is intact.
 */
export const apiKeyVerifier: VerifierDefinition<ApiKeyOptions> = {
  type: "api-key",
  schema: {
    type: typeKey("api-key"),
    secrets: secretsKey(
      "Accepted keys, 16 to 512 characters without spaces.",
      secretListFormat("a key of 16 to 512 characters without spaces", (secret) => /^\S{16,512}$/.test(secret)),
    ),
    header: { doc: "Header carrying the key.", format: headerNameFormat, default: "x-api-key" },
    scheme: {
      doc: 'Auth scheme before the key in the header, e.g. "Bearer" with header authorization; null for none.',
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
    queryParam: {
      doc: "Query parameter that may carry the key instead of the header (it then appears in access logs: prefer a header).",
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
  },
  sensitiveHeaders: (options) => [options.header.toLowerCase()],
  keepHeaders: [],
  create(options) {
    const matches = createSecretCheck(options.secrets);
    const header = options.header.toLowerCase();
    return {
      verify(request) {
        const value = request.headers[header];
        let key = value === undefined ? undefined : parseApiKeyHeader(value, options.scheme);
        if (key === undefined && options.queryParam !== null) {
          const fromQuery = request.query[options.queryParam];
          key = typeof fromQuery === "string" && fromQuery.length > 0 ? fromQuery : undefined;
        }
        if (key === undefined) return rejected("missing key");
        return matches(key) !== -1 ? { ok: true } : rejected("wrong key");
      },
    };
  },
};
