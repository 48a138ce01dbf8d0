import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { Webhook } from "standardwebhooks";
import { validateEndpoint } from "./endpoint-validation.js";
import { buildRequestHeaders, DEFAULT_USER_AGENT } from "./request-headers.js";
import { TEST_SECRET, testEndpoint } from "./test-support.js";

function configErrorNaming(fragment: string): (error: unknown) => boolean {
  return (error: unknown) =>
    error instanceof HookyardError &&
    error.code === "CONFIG_INVALID" &&
    error.message.includes(fragment) &&
    error.message.includes('endpoint "ep_test"');
}

describe("validateEndpoint: custom headers", () => {
  const refused: [string, Record<string, string>, string][] = [
    ["CR in a value", { "X-Tenant": "a\rb" }, '"X-Tenant"'],
    ["LF in a value", { "X-Tenant": "a\nInjected: 1" }, '"X-Tenant"'],
    ["NUL in a value", { "X-Tenant": "a\0" }, '"X-Tenant"'],
    ["CR/LF in a name", { "X-A\r\nInjected": "1" }, "CR, LF or NUL"],
    ["a space in a name", { "X Bad": "1" }, '"X Bad"'],
    ["connection", { Connection: "close" }, '"Connection"'],
    ["keep-alive", { "Keep-Alive": "timeout=5" }, '"Keep-Alive"'],
    ["transfer-encoding", { "Transfer-Encoding": "chunked" }, '"Transfer-Encoding"'],
    ["te", { TE: "trailers" }, '"TE"'],
    ["trailer", { Trailer: "x" }, '"Trailer"'],
    ["upgrade", { Upgrade: "websocket" }, '"Upgrade"'],
    ["proxy-authorization", { "Proxy-Authorization": "Basic x" }, '"Proxy-Authorization"'],
    ["proxy-anything", { "proxy-foo": "1" }, '"proxy-foo"'],
    ["host", { Host: "evil.example" }, '"Host"'],
    ["content-length", { "Content-Length": "0" }, '"Content-Length"'],
    ["webhook-signature", { "Webhook-Signature": "v1,forged" }, '"Webhook-Signature"'],
    ["webhook-id", { "webhook-id": "x" }, '"webhook-id"'],
    ["webhook-timestamp", { "webhook-timestamp": "1" }, '"webhook-timestamp"'],
    ["content-type", { "Content-Type": "text/plain" }, '"Content-Type"'],
    ["a duplicate in another case", { "X-A": "1", "x-a": "2" }, '"x-a"'],
  ];
  for (const [what, headers, fragment] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => validateEndpoint(testEndpoint("https://example.com/hook", { headers })),
        configErrorNaming(fragment),
      );
    });
  }

  it("accepts ordinary headers and tabs/UTF-8 text in values", () => {
    validateEndpoint(
      testEndpoint("https://example.com/hook", {
        headers: { Authorization: "Bearer abc", "X-Tenant": "acme\tcorp", "X-Note": "café" },
      }),
    );
  });
});

describe("validateEndpoint: url, secrets, proxy, tls", () => {
  const refused: [string, Parameters<typeof testEndpoint>[1], string, string?][] = [
    ["a non-http scheme", {}, "url must be http", "ftp://example.com/"],
    ["an unparsable url", {}, "url is not a valid URL", "not a url"],
    ["credentials in the url", {}, "credentials", "https://user:pw@example.com/"],
    ["no secrets", { secrets: [] }, "at least one signing secret"],
    ["a malformed secret", { secrets: [{ secret: "whsec_***" }] }, "secrets[0]"],
    [
      "only expired secrets",
      { secrets: [{ secret: TEST_SECRET, expiresAt: "2001-01-01T00:00:00Z" }] },
      "every signing secret has expired",
    ],
    ["a bad expiresAt", { secrets: [{ secret: TEST_SECRET, expiresAt: "soon" }] }, "expiresAt"],
    ["a bad proxy", { proxy: "socks://proxy:1080" }, "proxy must be http"],
    ["a cert without key", { tls: { cert: "x" } }, "tls.cert and tls.key"],
    ["garbage CA", { tls: { ca: "not a pem" } }, "tls.ca must be PEM"],
    [
      "a broken PEM certificate",
      { tls: { ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" } },
      "does not parse",
    ],
    ["a garbage key", { tls: { cert: "x", key: "y" } }, "tls.cert must be PEM"],
  ];
  for (const [what, overrides, fragment, url] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => validateEndpoint(testEndpoint(url ?? "https://example.com/hook", overrides)),
        configErrorNaming(fragment),
      );
    });
  }
});

describe("buildRequestHeaders", () => {
  it("sets content type, user agent, custom headers and a verifiable signature", () => {
    const endpoint = testEndpoint("https://example.com/hook", { headers: { "X-Tenant": "acme" } });
    const envelope = createEnvelope({
      id: "evt_42",
      source: "kafka:orders",
      type: "order.created",
      data: '{"n":1}',
      contentType: "application/cloudevents+json",
    });
    const at = new Date();
    const headers = buildRequestHeaders(endpoint, envelope, at);
    // A JSON payload (any +json type) goes out wrapped in the Standard Webhooks structure: always application/json.
    assert.equal(headers["content-type"], "application/json");
    assert.equal(headers["user-agent"], DEFAULT_USER_AGENT);
    assert.match(DEFAULT_USER_AGENT, /^Hookyard\/\d+\.\d+\.\d+/);
    assert.equal(headers["x-tenant"], "acme");
    assert.equal(headers["webhook-id"], "evt_42");
    assert.equal(headers["webhook-timestamp"], String(Math.floor(at.getTime() / 1000)));
    const body = `{"type":"order.created","timestamp":"${envelope.time}","data":{"n":1}}`;
    assert.deepEqual(new Webhook(TEST_SECRET).verify(body, headers), {
      type: "order.created",
      timestamp: envelope.time,
      data: { n: 1 },
    });
    const raw = buildRequestHeaders({ ...endpoint, payload: "raw" }, envelope, at);
    assert.equal(raw["content-type"], "application/cloudevents+json");
    assert.deepEqual(new Webhook(TEST_SECRET).verify('{"n":1}', raw), { n: 1 });
  });

  it("refuses an endpoint with a bad header, naming it", () => {
    const endpoint = testEndpoint("https://example.com/hook", { headers: { "X-Bad": "a\r\nb" } });
    const envelope = createEnvelope({ id: "e", source: "s", type: "t", data: "{}" });
    assert.throws(() => buildRequestHeaders(endpoint, envelope, new Date()), configErrorNaming('"X-Bad"'));
  });
});
