import { randomBytes } from "node:crypto";
import { generateSecret, generateSigningKeyPair } from "@hookyard/delivery";
import { type CommandContext, UsageError } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/** What `hookyard secret KIND` generates; the first is the default. */
const KINDS = ["whsec", "ed25519", "key"] as const;
type Kind = (typeof KINDS)[number];

/**
 * `hookyard secret [whsec | ed25519 | key]`: prints fresh random secrets in the formats Hookyard reads, one per
 * line on stdout (so `$(hookyard secret)` works), and what each is for on stderr.
 * - whsec: an endpoint's HMAC-SHA256 signing secret (Standard Webhooks `v1`), 32 random bytes;
 * - ed25519: an endpoint's ed25519 signing secret `whsk_…` (Standard Webhooks `v1a`) and, on the second line,
 *   the public key `whpk_…` the customer verifies with;
 * - key: a random key for admin.apiKeys, ingest.apiKeys or admin.portal.signingKey (32 bytes, base64url).
 */
export async function secretCommand(context: CommandContext): Promise<number> {
  const [kind = "whsec", extra] = context.positionals;
  if (extra !== undefined) throw new UsageError(`one kind at most, got ${context.positionals.length}`);
  if (!isKind(kind)) throw new UsageError(`unknown kind ${JSON.stringify(kind)}: one of ${KINDS.join(", ")}`);
  const generated = generate(kind);
  context.stdout.write(`${generated.lines.join("\n")}\n`);
  context.stderr.write(`${generated.note}\n`);
  return EXIT.ok;
}

function isKind(kind: string): kind is Kind {
  return (KINDS as readonly string[]).includes(kind);
}

function generate(kind: Kind): { lines: string[]; note: string } {
  switch (kind) {
    case "whsec":
      return {
        lines: [generateSecret()],
        note: "HMAC-SHA256 signing secret (Standard Webhooks v1): put it in an endpoint's secrets (through an environment variable) and give it to the receiver.",
      };
    case "ed25519": {
      const pair = generateSigningKeyPair();
      return {
        lines: [pair.secret, pair.publicKey],
        note: "ed25519 signing key (Standard Webhooks v1a): line 1, whsk_…, goes in an endpoint's secrets (keep it secret); line 2, whpk_…, is the public key the receiver verifies with.",
      };
    }
    case "key":
      return {
        lines: [randomBytes(32).toString("base64url")],
        note: "random key for admin.apiKeys, ingest.apiKeys or admin.portal.signingKey (keep it in a secret store, referenced from the config as an environment variable).",
      };
  }
}
