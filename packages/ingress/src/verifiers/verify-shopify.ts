import { createHmac } from "node:crypto";
import { secretListFormat } from "../config/formats.js";
import { secretsKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeBase64 } from "./decode.js";
import { rejected, type VerifierDefinition } from "./verifier.js";

export interface ShopifyOptions {
  type: "shopify";
  secrets: string[];
}

/** Parses `X-Shopify-Hmac-Sha256`: base64 of a 32-byte HMAC-SHA256. */
export function parseShopifySignature(header: string): Buffer | undefined {
  const mac = decodeBase64(header.trim());
  return mac?.length === 32 ? mac : undefined;
}

/**
 * Shopify: `X-Shopify-Hmac-Sha256` is base64 HMAC-SHA256 of the body with the app's client secret. No signed
 * timestamp: replays are caught by `X-Shopify-Webhook-Id` de-duplication (the same id on every retry).
 */
export const shopifyVerifier: VerifierDefinition<ShopifyOptions> = {
  type: "shopify",
  schema: {
    type: typeKey("shopify"),
    secrets: secretsKey(
      "The app's client secret(s) (or the store's webhook signing key for webhooks created in the admin).",
      secretListFormat("a string of at least 8 characters", (secret) => secret.length >= 8),
    ),
  },
  sensitiveHeaders: () => ["x-shopify-hmac-sha256"],
  keepHeaders: [
    "x-shopify-topic",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-shop-domain",
    "x-shopify-api-version",
    "x-shopify-triggered-at",
    "x-shopify-sub-topic",
  ],
  create(options) {
    return {
      verify(request) {
        const header = request.headers["x-shopify-hmac-sha256"];
        if (header === undefined) return rejected("missing signature");
        const presented = parseShopifySignature(header);
        if (presented === undefined) return rejected("malformed signature header");
        const expected = options.secrets.map((secret) => createHmac("sha256", secret).update(request.rawBody).digest());
        if (!anyMacMatches(expected, [presented])) return rejected("signature mismatch");
        const eventId = request.headers["x-shopify-webhook-id"];
        const eventType = request.headers["x-shopify-topic"];
        return {
          ok: true,
          ...(eventId ? { eventId } : {}),
          ...(eventType ? { eventType } : {}),
        };
      },
    };
  },
};
