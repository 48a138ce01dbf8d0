import { createHmac } from "node:crypto";
import { secretListFormat } from "../config/formats.js";
import { secretsKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeHex } from "./decode.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface GithubOptions {
  type: "github";
  secrets: string[];
}

/** Parses `X-Hub-Signature-256: sha256=<64 hex>`. */
export function parseGithubSignature(header: string): Buffer | undefined {
  if (!header.startsWith("sha256=")) return undefined;
  const mac = decodeHex(header.slice("sha256=".length));
  return mac?.length === 32 ? mac : undefined;
}

/**
 * GitHub: `X-Hub-Signature-256` is HMAC-SHA256 (hex) of the body with the webhook secret. The legacy SHA-1
 * `X-Hub-Signature` is not accepted. GitHub signs no timestamp: replays are caught by `X-GitHub-Delivery`
 * de-duplication within the dedup window.
 */
export const githubVerifier: VerifierDefinition<GithubOptions> = {
  type: "github",
  schema: {
    type: typeKey("github"),
    secrets: secretsKey(
      "The webhook secret(s) set on the GitHub webhook or App.",
      secretListFormat("a string of at least 8 characters", (secret) => secret.length >= 8),
    ),
  },
  sensitiveHeaders: () => ["x-hub-signature-256", "x-hub-signature"],
  keepHeaders: [
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-id",
    "x-github-hook-installation-target-type",
  ],
  create(options) {
    return {
      verify(request) {
        const header = request.headers["x-hub-signature-256"];
        if (header === undefined) return rejected("missing signature");
        const presented = parseGithubSignature(header);
        if (presented === undefined) return rejected("malformed signature header");
        const expected = options.secrets.map((secret) => createHmac("sha256", secret).update(request.rawBody).digest());
        if (!anyMacMatches(expected, [presented])) return rejected("signature mismatch");
        const eventId = request.headers["x-github-delivery"];
        const eventType = request.headers["x-github-event"];
        return {
          ok: true,
          ...(eventId ? { eventId } : {}),
          ...(eventType ? { eventType } : {}),
        };
      },
    };
  },
};
