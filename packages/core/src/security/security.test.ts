import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCredentialHeader, redactHeaders } from "./redact-headers.js";
import { createSecretCheck, presentedApiKey } from "./secret-check.js";

describe("header redaction (one rule for logs, attempt records, the admin API and the rejected log)", () => {
  test("extra sensitive names and anything credential-like are redacted; others kept", () => {
    const headers = redactHeaders(
      {
        "x-custom-sig": "abc",
        authorization: "Bearer x",
        "x-api-key": "k",
        "x-github-event": "push",
        cookie: "c",
        "stripe-signature": "t=1,v1=x",
        "x-shopify-hmac-sha256": "h",
      },
      { sensitive: new Set(["x-custom-sig"]) },
    );
    assert.deepEqual(headers, {
      "x-custom-sig": "[redacted]",
      authorization: "[redacted]",
      "x-api-key": "[redacted]",
      "x-github-event": "push",
      cookie: "[redacted]",
      "stripe-signature": "[redacted]",
      "x-shopify-hmac-sha256": "[redacted]",
    });
  });

  test("long values are cut and the number of headers is capped when asked", () => {
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}`, "v".repeat(20)]));
    const shown = redactHeaders(many, { maxHeaders: 3, maxValueLength: 5 });
    assert.deepEqual(shown, { h0: "vvvvv…", h1: "vvvvv…", h2: "vvvvv…" });
  });

  test("credential names are recognised case-insensitively", () => {
    for (const name of ["Authorization", "X-Auth-Token", "X-API-KEY", "x_api_key", "Set-Cookie", "X-Secret"]) {
      assert.equal(isCredentialHeader(name), true, name);
    }
    for (const name of ["content-type", "x-github-event", "user-agent"]) assert.equal(isCredentialHeader(name), false);
  });
});

describe("secret check (one rule for ingest, admin and ingress API keys)", () => {
  test("answers the index of the matching secret, -1 otherwise", () => {
    const check = createSecretCheck(["first-key-0123456789", "second-key-0123456789"]);
    assert.equal(check("second-key-0123456789"), 1);
    assert.equal(check("first-key-0123456789"), 0);
    assert.equal(check("first-key-012345678"), -1);
    assert.equal(check(""), -1);
    assert.equal(createSecretCheck([])("anything"), -1);
  });

  test("the presented key: Bearer first, then X-Api-Key", () => {
    assert.equal(presentedApiKey({ authorization: "Bearer abc" }), "abc");
    assert.equal(presentedApiKey({ authorization: "bearer  abc " }), "abc");
    assert.equal(presentedApiKey({ authorization: "Basic abc", "x-api-key": "k" }), "k");
    assert.equal(presentedApiKey({ "x-api-key": "" }), undefined);
    assert.equal(presentedApiKey({}), undefined);
  });
});
