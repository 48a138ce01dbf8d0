import { createHmac } from "node:crypto";
import { secretListFormat } from "../config/formats.js";
import { jsonObjectOf, textField } from "./body-fields.js";
import { secretsKey, toleranceKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeHex } from "./decode.js";
import { checkTimestamp } from "./timestamp.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface StripeOptions {
  type: "stripe";
  secrets: string[];
  tolerance: number;
}

export interface StripeSignatureHeader {
  readonly timestamp: string;
  /** The `v1` signatures (HMAC-SHA256); other schemes (`v0`, test-mode extras) are ignored. */
  readonly v1: readonly Buffer[];
}

const MAX_ENTRIES = 20;

/** Parses `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`. Exactly one `t`; any malformed entry fails it all. */
export function parseStripeSignature(header: string): StripeSignatureHeader | undefined {
  const entries = header.split(",");
  if (entries.length > MAX_ENTRIES) return undefined;
  let timestamp: string | undefined;
  const v1: Buffer[] = [];
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    if (equals <= 0) return undefined;
    const key = entry.slice(0, equals).trim();
    const value = entry.slice(equals + 1).trim();
    if (key === "t") {
      if (timestamp !== undefined) return undefined;
      timestamp = value;
    } else if (key === "v1") {
      const mac = decodeHex(value);
      if (mac === undefined) return undefined;
      v1.push(mac);
    }
  }
  return timestamp === undefined ? undefined : { timestamp, v1 };
}

/**
 * Stripe: `Stripe-Signature` carries `t` and one `v1` HMAC-SHA256 (hex) per active endpoint secret, over
 * `${t}.${body}`; the key is the whole `whsec_…` string. The event id and type come from the JSON body.
 */
export const stripeVerifier: VerifierDefinition<StripeOptions> = {
  type: "stripe",
  schema: {
    type: typeKey("stripe"),
    secrets: secretsKey(
      'The endpoint\'s signing secrets as the Stripe dashboard shows them ("whsec_…").',
      secretListFormat('"whsec_…"', (secret) => /^whsec_\S{8,}$/.test(secret)),
    ),
    tolerance: toleranceKey(),
  },
  sensitiveHeaders: () => ["stripe-signature"],
  keepHeaders: [],
  create(options) {
    return {
      verify(request, now) {
        const header = request.headers["stripe-signature"];
        if (header === undefined) return rejected("missing signature");
        const parsed = parseStripeSignature(header);
        if (parsed === undefined) return rejected("malformed signature header");
        const stale = checkTimestamp(parsed.timestamp, now, options.tolerance);
        if (stale !== undefined) return rejected(stale);
        if (parsed.v1.length === 0) return rejected("no signature of a supported version");
        const prefix = Buffer.from(`${parsed.timestamp}.`, "utf8");
        const expected = options.secrets.map((secret) =>
          createHmac("sha256", secret).update(prefix).update(request.rawBody).digest(),
        );
        if (!anyMacMatches(expected, parsed.v1)) return rejected("signature mismatch");
        const body = jsonObjectOf(request.rawBody);
        const eventId = textField(body, "id");
        const eventType = textField(body, "type");
        return {
          ok: true,
          ...(eventId === undefined ? {} : { eventId }),
          ...(eventType === undefined ? {} : { eventType }),
        };
      },
    };
  },
};
