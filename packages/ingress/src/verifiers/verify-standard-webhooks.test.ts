import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { generateSigningKeyPair, signPayload } from "@hookyard/delivery";
import { Webhook } from "standardwebhooks";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { standardWebhooksVerifier } from "./verify-standard-webhooks.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const OTHER = `whsec_${randomBytes(32).toString("base64")}`;
const BODY = JSON.stringify({ type: "invoice.paid", data: { amount: 1200 } });
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const seconds = (ms: number) => Math.floor(ms / 1000);

function signed(secret: string, fields: { id?: string; at?: number; body?: string | Buffer; prefix?: string } = {}) {
  const id = fields.id ?? "msg_2Lm0";
  const at = fields.at ?? NOW;
  const body = fields.body ?? BODY;
  const signature = new Webhook(secret).sign(id, new Date(at), typeof body === "string" ? body : body.toString());
  const prefix = fields.prefix ?? "webhook";
  return {
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(seconds(at)),
    [`${prefix}-signature`]: signature,
  };
}

describe("standard-webhooks verifier", () => {
  const verifier = verifierFrom(standardWebhooksVerifier, { secrets: [SECRET] });

  test("accepts a request signed by the official standardwebhooks library, with id and type", () => {
    const result = verifier.verify(requestOf({ body: BODY, headers: signed(SECRET) }), NOW);
    assert.deepEqual(result, { ok: true, eventId: "msg_2Lm0", eventType: "invoice.paid" });
  });

  test("accepts the same scheme under svix-* header names", () => {
    const result = verifier.verify(requestOf({ body: BODY, headers: signed(SECRET, { prefix: "svix" }) }), NOW);
    assert.equal(reasonOf(result), "ok");
  });

  test("accepts the documented example (Standard Webhooks / Svix docs)", () => {
    const example = verifierFrom(standardWebhooksVerifier, { secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] });
    const request = requestOf({
      body: '{"test": 2432232314}',
      headers: {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
      },
    });
    assert.equal(reasonOf(example.verify(request, 1614265330 * 1000)), "ok");
  });

  test("accepts v1a (ed25519) signed by Hookyard's own signer, checked with the whpk_ public key", () => {
    const pair = generateSigningKeyPair();
    const ed = verifierFrom(standardWebhooksVerifier, { secrets: [pair.publicKey] });
    const signature = signPayload({ id: "msg_1", timestamp: seconds(NOW), payload: BODY, secrets: [pair.secret] });
    const headers = {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(seconds(NOW)),
      "webhook-signature": signature,
    };
    assert.equal(reasonOf(ed.verify(requestOf({ body: BODY, headers }), NOW)), "ok");
    assert.equal(reasonOf(ed.verify(requestOf({ body: tamper(BODY, 3), headers }), NOW)), "signature mismatch");
    const otherPair = generateSigningKeyPair();
    const wrong = verifierFrom(standardWebhooksVerifier, { secrets: [otherPair.publicKey] });
    assert.equal(reasonOf(wrong.verify(requestOf({ body: BODY, headers }), NOW)), "signature mismatch");
  });

  test("rotation: a request signed with either configured secret is accepted", () => {
    const rotating = verifierFrom(standardWebhooksVerifier, { secrets: [OTHER, SECRET] });
    assert.equal(reasonOf(rotating.verify(requestOf({ body: BODY, headers: signed(SECRET) }), NOW)), "ok");
    assert.equal(reasonOf(rotating.verify(requestOf({ body: BODY, headers: signed(OTHER) }), NOW)), "ok");
  });

  test("rejects one-byte tampering anywhere in the body", () => {
    const headers = signed(SECRET);
    for (const index of [0, 10, BODY.length - 1]) {
      assert.equal(
        reasonOf(verifier.verify(requestOf({ body: tamper(BODY, index), headers }), NOW)),
        "signature mismatch",
      );
    }
  });

  test("rejects a tampered id (it is signed too)", () => {
    const headers = { ...signed(SECRET), "webhook-id": "msg_other" };
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers }), NOW)), "signature mismatch");
  });

  test("rejects a wrong secret, a truncated, missing or unknown-version signature", () => {
    const headers = signed(SECRET);
    const wrong = verifierFrom(standardWebhooksVerifier, { secrets: [OTHER] });
    assert.equal(reasonOf(wrong.verify(requestOf({ body: BODY, headers }), NOW)), "signature mismatch");
    const signature = headers["webhook-signature"] as string;
    const truncated = { ...headers, "webhook-signature": signature.slice(0, -4) };
    assert.notEqual(reasonOf(verifier.verify(requestOf({ body: BODY, headers: truncated }), NOW)), "ok");
    const { "webhook-signature": _, ...missing } = headers;
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers: missing }), NOW)), "missing signature");
    const v2 = { ...headers, "webhook-signature": signature.replace(/^v1,/, "v2,") };
    assert.equal(
      reasonOf(verifier.verify(requestOf({ body: BODY, headers: v2 }), NOW)),
      "no signature of a supported version",
    );
    const empty = { ...headers, "webhook-signature": "" };
    assert.notEqual(reasonOf(verifier.verify(requestOf({ body: BODY, headers: empty }), NOW)), "ok");
  });

  test("rejects stale and future timestamps beyond the tolerance, accepts within it", () => {
    const tolerance = 5 * 60 * 1000;
    const at = (offset: number) =>
      reasonOf(verifier.verify(requestOf({ body: BODY, headers: signed(SECRET, { at: NOW + offset }) }), NOW));
    assert.equal(at(-tolerance + 1000), "ok");
    assert.equal(at(tolerance - 1000), "ok");
    assert.equal(at(-tolerance - 1000), "timestamp too old");
    assert.equal(at(tolerance + 1000), "timestamp in the future");
    const malformed = { ...signed(SECRET), "webhook-timestamp": "12e3" };
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers: malformed }), NOW)), "malformed timestamp");
  });

  test("a signature among several (rotation on the sender's side) is found", () => {
    const headers = signed(SECRET);
    const other = signed(OTHER)["webhook-signature"] as string;
    const both = {
      ...headers,
      "webhook-signature": `${other} v1a,${randomBytes(64).toString("base64")} ${headers["webhook-signature"]}`,
    };
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers: both }), NOW)), "ok");
  });

  test("config refuses secrets that are not whsec_/whpk_", () => {
    assert.throws(
      () => verifierFrom(standardWebhooksVerifier, { secrets: ["plain-secret"] }),
      /invalid verifier config/,
    );
    assert.throws(() => verifierFrom(standardWebhooksVerifier, { secrets: ["whsec_!!"] }), /invalid verifier config/);
    assert.throws(() => verifierFrom(standardWebhooksVerifier, { secrets: [] }), /invalid verifier config/);
  });
});
