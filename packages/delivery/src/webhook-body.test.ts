import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { Webhook } from "standardwebhooks";
import { buildRequestHeaders } from "./request-headers.js";
import { TEST_SECRET, testEndpoint } from "./test-support.js";
import { isJsonContentType, webhookBody } from "./webhook-body.js";

const endpoint = testEndpoint("https://example.com/hook");
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

function envelopeOf(data: string | Uint8Array, contentType = "application/json") {
  return createEnvelope({
    id: "evt_1",
    source: "test",
    type: "invoice.paid",
    time: "2026-01-02T03:04:05.678Z",
    data,
    contentType,
  });
}

describe("webhookBody", () => {
  it("wraps a JSON payload in the Standard Webhooks structure, its bytes verbatim", () => {
    // A number beyond 2^53, odd spacing and key order: parsing and re-serializing would change all three.
    const payload = '{ "z": 1, "big": 12345678901234567890, "a": [1,2] }';
    const body = webhookBody(endpoint, envelopeOf(payload));
    assert.equal(body.contentType, "application/json");
    assert.equal(text(body.bytes), `{"type":"invoice.paid","timestamp":"2026-01-02T03:04:05.678Z","data":${payload}}`);
    assert.equal((JSON.parse(text(body.bytes)) as { type: string }).type, "invoice.paid");
  });

  it("escapes the type as a JSON string", () => {
    const envelope = createEnvelope({
      id: "e",
      source: "s",
      type: 'odd"type\\',
      data: "{}",
      contentType: "application/json",
    });
    assert.equal((JSON.parse(text(webhookBody(endpoint, envelope).bytes)) as { type: string }).type, 'odd"type\\');
  });

  it('sends the payload as it is for payload "raw", a payload that is not JSON, and an empty one', () => {
    const json = envelopeOf('{"n":1}', "application/cloudevents+json");
    assert.deepEqual(webhookBody({ ...endpoint, payload: "raw" }, json), {
      bytes: json.data,
      contentType: "application/cloudevents+json",
    });
    const binary = envelopeOf(new Uint8Array([0, 255, 1]), "application/octet-stream");
    assert.deepEqual(webhookBody(endpoint, binary), { bytes: binary.data, contentType: "application/octet-stream" });
    const empty = envelopeOf("", "application/json");
    assert.deepEqual(webhookBody(endpoint, empty).bytes, new Uint8Array());
  });

  it("knows JSON content types", () => {
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "application/cloudevents+json",
      "APPLICATION/JSON",
    ]) {
      assert.equal(isJsonContentType(type), true, type);
    }
    for (const type of ["text/plain", "application/jsonx", "application/xml", "text/json"]) {
      assert.equal(isJsonContentType(type), false, type);
    }
  });

  it("is what the signature covers: the headers verify against exactly these bytes", () => {
    const envelope = envelopeOf('{"n":1}');
    const headers = buildRequestHeaders(endpoint, envelope, new Date());
    const body = text(webhookBody(endpoint, envelope).bytes);
    assert.deepEqual(new Webhook(TEST_SECRET).verify(body, headers), {
      type: "invoice.paid",
      timestamp: "2026-01-02T03:04:05.678Z",
      data: { n: 1 },
    });
    assert.throws(() => new Webhook(TEST_SECRET).verify('{"n":1}', headers));
  });
});
