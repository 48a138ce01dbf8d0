import { createConvictValidation } from "./config/convict-validation.js";
import type { InboundRequest, Verifier, VerifierDefinition } from "./verifiers/verifier.js";

/** Test helpers (not exported from the package). */

export function requestOf(fields: {
  body: string | Buffer;
  headers?: Record<string, string>;
  url?: string;
  method?: string;
  query?: Record<string, string | string[]>;
}): InboundRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: fields.method ?? "POST",
    url: fields.url ?? "https://hooks.example.com/ingress/test",
    headers,
    rawBody: typeof fields.body === "string" ? Buffer.from(fields.body, "utf8") : fields.body,
    query: fields.query ?? {},
  };
}

/** Validates `config` with the verifier's schema (as the config loader does) and builds the verifier. */
export function verifierFrom<Options extends object>(
  definition: VerifierDefinition<Options>,
  config: Record<string, unknown>,
): Verifier {
  const validation = createConvictValidation();
  const { value, ok } = validation.section(definition.schema, { type: definition.type, ...config }, ["verifier"], []);
  if (!ok) throw new Error(`invalid verifier config: ${JSON.stringify(validation.problems)}`);
  return definition.create(value);
}

/** Flips one bit of one byte: the smallest tampering. */
export function tamper(body: Buffer | string, index = 0): Buffer {
  const copy = Buffer.from(body);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

export function reasonOf(result: ReturnType<Verifier["verify"]>): string {
  return result.ok ? "ok" : result.reason;
}
