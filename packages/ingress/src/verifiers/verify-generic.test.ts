import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { apiKeyVerifier } from "./verify-api-key.js";
import { basicAuthVerifier } from "./verify-basic-auth.js";
import { hmacVerifier } from "./verify-hmac.js";

const BODY = JSON.stringify({ kind: "order.created", id: 42 });
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

describe("hmac verifier", () => {
  test("body-only, sha256 hex with a prefix (GitHub-like)", () => {
    const verifier = verifierFrom(hmacVerifier, { secrets: ["s3cret-one"], header: "X-Signature", prefix: "sha256=" });
    const mac = createHmac("sha256", "s3cret-one").update(BODY).digest("hex");
    const verify = (signature: string, body: string | Buffer = BODY) =>
      reasonOf(verifier.verify(requestOf({ body, headers: { "x-signature": signature } }), NOW));
    assert.equal(verify(`sha256=${mac}`), "ok");
    assert.equal(verify(`sha256=${mac}`, tamper(BODY, 1)), "signature mismatch");
    assert.equal(verify(mac), "malformed signature header");
    assert.equal(verify(`sha256=${mac.slice(0, -2)}`), "signature mismatch");
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY }), NOW)), "missing signature");
  });

  test("sha512 base64 over a timestamp template, with tolerance in both directions", () => {
    const verifier = verifierFrom(hmacVerifier, {
      secrets: ["old-secret", "new-secret"],
      header: "x-sig",
      algorithm: "sha512",
      encoding: "base64",
      signed: "{timestamp}.{method}.{url}.{body}",
      timestampHeader: "x-timestamp",
    });
    const url = "https://hooks.example.com/ingress/acme?x=1";
    const sign = (secret: string, ts: number, body = BODY) =>
      createHmac("sha512", secret).update(`${ts}.POST.${url}.${body}`).digest("base64");
    const verify = (signature: string, ts: number, body: string | Buffer = BODY) =>
      reasonOf(
        verifier.verify(requestOf({ url, body, headers: { "x-sig": signature, "x-timestamp": String(ts) } }), NOW),
      );
    const ts = Math.floor(NOW / 1000);
    assert.equal(verify(sign("new-secret", ts), ts), "ok");
    assert.equal(verify(sign("old-secret", ts), ts), "ok");
    assert.equal(verify(sign("other", ts), ts), "signature mismatch");
    assert.equal(verify(sign("new-secret", ts), ts + 1), "signature mismatch");
    assert.equal(verify(sign("new-secret", ts - 400), ts - 400), "timestamp too old");
    assert.equal(verify(sign("new-secret", ts + 400), ts + 400), "timestamp in the future");
  });

  test("base64 secrets and sha1", () => {
    const key = Buffer.from("0123456789abcdef0123");
    const verifier = verifierFrom(hmacVerifier, {
      secrets: [key.toString("base64")],
      secretEncoding: "base64",
      header: "x-sig",
      algorithm: "sha1",
    });
    const mac = createHmac("sha1", key).update(BODY).digest("hex");
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers: { "x-sig": mac } }), NOW)), "ok");
  });

  test("config: a template without {body}, an unknown token, or {timestamp} without its header is refused", () => {
    assert.throws(
      () => verifierFrom(hmacVerifier, { secrets: ["s"], header: "x", signed: "{timestamp}" }),
      /invalid verifier config/,
    );
    assert.throws(
      () => verifierFrom(hmacVerifier, { secrets: ["s"], header: "x", signed: "{nonce}{body}" }),
      /invalid verifier config/,
    );
    assert.throws(
      () => verifierFrom(hmacVerifier, { secrets: ["s"], header: "x", signed: "{timestamp}.{body}" }),
      /timestampHeader/,
    );
  });
});

describe("basic-auth verifier", () => {
  const verifier = verifierFrom(basicAuthVerifier, { secrets: ["hooks:correct-horse", "hooks:battery-staple"] });
  const verify = (authorization: string | undefined) =>
    reasonOf(
      verifier.verify(requestOf({ body: BODY, headers: authorization === undefined ? {} : { authorization } }), NOW),
    );
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

  test("accepts any configured credentials, rejects others", () => {
    assert.equal(verify(basic("hooks:correct-horse")), "ok");
    assert.equal(verify(basic("hooks:battery-staple")), "ok");
    assert.equal(verify(basic("hooks:correct-horsE")), "wrong credentials");
    assert.equal(verify(basic("hooks")), "malformed credentials");
    assert.equal(verify("Bearer abc"), "malformed credentials");
    assert.equal(verify(undefined), "missing credentials");
  });
});

describe("api-key verifier", () => {
  const KEY = "k_0123456789abcdef0123";
  test("header with a Bearer scheme", () => {
    const verifier = verifierFrom(apiKeyVerifier, { secrets: [KEY], header: "authorization", scheme: "Bearer" });
    const verify = (value: string) =>
      reasonOf(verifier.verify(requestOf({ body: BODY, headers: { authorization: value } }), NOW));
    assert.equal(verify(`Bearer ${KEY}`), "ok");
    assert.equal(verify(`bearer ${KEY}`), "ok");
    assert.equal(verify(KEY), "missing key");
    assert.equal(verify(`Bearer ${KEY}x`), "wrong key");
  });

  test("plain header or query parameter", () => {
    const verifier = verifierFrom(apiKeyVerifier, { secrets: [KEY], queryParam: "token" });
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, headers: { "x-api-key": KEY } }), NOW)), "ok");
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY, query: { token: KEY } }), NOW)), "ok");
    assert.equal(
      reasonOf(verifier.verify(requestOf({ body: BODY, query: { token: [KEY, KEY] } }), NOW)),
      "missing key",
    );
    assert.equal(reasonOf(verifier.verify(requestOf({ body: BODY }), NOW)), "missing key");
  });
});
