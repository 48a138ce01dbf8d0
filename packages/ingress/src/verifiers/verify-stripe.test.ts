import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import Stripe from "stripe";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { stripeVerifier } from "./verify-stripe.js";

const SECRET = "whsec_test_5f1b8e0c2d9a4e7f8a1b2c3d4e5f6a7b";
const OTHER = "whsec_test_0000000000000000000000000000aaaa";
const BODY = JSON.stringify(
  { id: "evt_1NG8Du2eZvKYlo2C", object: "event", type: "invoice.paid", data: { object: {} } },
  null,
  2,
);
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const seconds = (ms: number) => Math.floor(ms / 1000);

function header(secret: string, at = NOW, body = BODY): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: seconds(at) });
}

describe("stripe verifier", () => {
  const verifier = verifierFrom(stripeVerifier, { secrets: [SECRET] });
  const verify = (signature: string | undefined, body: string | Buffer = BODY) =>
    reasonOf(
      verifier.verify(
        requestOf({ body, headers: signature === undefined ? {} : { "stripe-signature": signature } }),
        NOW,
      ),
    );

  test("accepts a header from stripe's generateTestHeaderString, with the event id and type from the body", () => {
    const result = verifier.verify(requestOf({ body: BODY, headers: { "stripe-signature": header(SECRET) } }), NOW);
    assert.deepEqual(result, { ok: true, eventId: "evt_1NG8Du2eZvKYlo2C", eventType: "invoice.paid" });
  });

  test("stripe's own constructEvent accepts what we accept (same algorithm)", () => {
    const signature = header(SECRET);
    const event = Stripe.webhooks.constructEvent(BODY, signature, SECRET, 300, undefined, seconds(NOW));
    assert.equal(event.id, "evt_1NG8Du2eZvKYlo2C");
    assert.equal(verify(signature), "ok");
  });

  test("accepts the documented form: t=…,v1=… (and ignores v0 and extra v1 entries)", () => {
    const t = seconds(NOW);
    const mac = createHmac("sha256", SECRET).update(`${t}.${BODY}`).digest("hex");
    assert.equal(verify(`t=${t},v1=${mac}`), "ok");
    assert.equal(verify(`t=${t},v1=${"0".repeat(64)},v1=${mac},v0=${"1".repeat(64)}`), "ok");
  });

  test("rotation: both the new and the expiring secret are accepted", () => {
    const rotating = verifierFrom(stripeVerifier, { secrets: [OTHER, SECRET] });
    for (const secret of [SECRET, OTHER]) {
      assert.equal(
        reasonOf(rotating.verify(requestOf({ body: BODY, headers: { "stripe-signature": header(secret) } }), NOW)),
        "ok",
      );
    }
  });

  test("rejects tampering, a wrong secret, truncated, missing and unknown-version signatures", () => {
    assert.equal(verify(header(SECRET), tamper(BODY, 20)), "signature mismatch");
    assert.equal(verify(header(OTHER)), "signature mismatch");
    assert.equal(verify(header(SECRET).slice(0, -2)), "signature mismatch");
    assert.equal(verify(header(SECRET).slice(0, -1)), "malformed signature header");
    assert.equal(verify(undefined), "missing signature");
    assert.equal(verify(header(SECRET).replace("v1=", "v2=")), "no signature of a supported version");
    assert.equal(verify(header(SECRET).replace(/t=\d+,/, "")), "malformed signature header");
    assert.equal(verify(`${header(SECRET)},t=${seconds(NOW)}`), "malformed signature header");
  });

  test("rejects stale and future timestamps (both directions)", () => {
    assert.equal(verify(header(SECRET, NOW - 301_000)), "timestamp too old");
    assert.equal(verify(header(SECRET, NOW + 301_000)), "timestamp in the future");
    assert.equal(verify(header(SECRET, NOW - 299_000)), "ok");
    const strict = verifierFrom(stripeVerifier, { secrets: [SECRET], tolerance: "10s" });
    const late = requestOf({ body: BODY, headers: { "stripe-signature": header(SECRET, NOW - 11_000) } });
    assert.equal(reasonOf(strict.verify(late, NOW)), "timestamp too old");
  });
});
