import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { shopifyVerifier } from "./verify-shopify.js";

const SECRET = "shpss_0123456789abcdef0123456789abcdef";
const OTHER = "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";
const BODY = JSON.stringify({ id: 820982911946154500, email: "jon@example.com", total_price: "10.00" });

// Shopify ships no standalone verification library: requests are signed as its docs describe (base64 HMAC-SHA256).
const sign = (secret: string, body: string | Buffer) => createHmac("sha256", secret).update(body).digest("base64");

describe("shopify verifier", () => {
  const verifier = verifierFrom(shopifyVerifier, { secrets: [SECRET] });
  const headersFor = (signature: string | undefined) => ({
    "x-shopify-topic": "orders/create",
    "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "x-shopify-shop-domain": "acme.myshopify.com",
    ...(signature === undefined ? {} : { "x-shopify-hmac-sha256": signature }),
  });
  const verify = (signature: string | undefined, body: string | Buffer = BODY, v = verifier) =>
    reasonOf(v.verify(requestOf({ body, headers: headersFor(signature) }), 0));

  test("accepts a correctly signed webhook, with webhook id and topic", () => {
    const result = verifier.verify(requestOf({ body: BODY, headers: headersFor(sign(SECRET, BODY)) }), 0);
    assert.deepEqual(result, { ok: true, eventId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", eventType: "orders/create" });
  });

  test("rotation: the second secret is accepted", () => {
    const rotating = verifierFrom(shopifyVerifier, { secrets: [OTHER, SECRET] });
    assert.equal(verify(sign(SECRET, BODY), BODY, rotating), "ok");
    assert.equal(verify(sign(OTHER, BODY), BODY, rotating), "ok");
  });

  test("rejects tampering, a wrong secret, truncated, missing and hex-encoded signatures", () => {
    const signature = sign(SECRET, BODY);
    assert.equal(verify(signature, tamper(BODY, 5)), "signature mismatch");
    assert.equal(verify(sign(OTHER, BODY)), "signature mismatch");
    assert.equal(verify(signature.slice(0, -4)), "malformed signature header");
    assert.equal(verify(undefined), "missing signature");
    const hex = createHmac("sha256", SECRET).update(BODY).digest("hex");
    assert.equal(verify(hex), "malformed signature header");
  });
});
