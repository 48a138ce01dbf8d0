import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { translateAmqpError } from "./errors.js";
import { compileRoutingKeyTemplate } from "./routing-key-template.js";
import { publishOptions } from "./sink.js";
import { headersToStrings } from "./to-source-message.js";

describe("rabbitmq helpers", () => {
  const envelope = createEnvelope({
    id: "e1",
    source: "ingress:stripe",
    type: "invoice.paid",
    time: "2024-05-01T10:00:00Z",
    data: "{}",
    key: "cus_1",
    headers: { "x-a": "1" },
  });

  it("renders routing keys and refuses unknown placeholders", () => {
    assert.equal(compileRoutingKeyTemplate("webhooks.{type}", "k")(envelope), "webhooks.invoice.paid");
    assert.equal(compileRoutingKeyTemplate("", "k")(envelope), "");
    assert.throws(() => compileRoutingKeyTemplate("{nope}", "k"), { code: "CONFIG_INVALID" });
    assert.throws(() => compileRoutingKeyTemplate("{subject}", "k")(envelope), { code: "MESSAGE_REJECTED" });
  });

  it("publishes CloudEvents binary-mode headers, id, type and timestamp", () => {
    const options = publishOptions(envelope, true);
    assert.equal(options.messageId, "e1");
    assert.equal(options.mandatory, true);
    assert.equal(options.timestamp, Date.parse("2024-05-01T10:00:00Z") / 1000);
    assert.deepEqual(options.headers, {
      "x-a": "1",
      "ce-specversion": "1.0",
      "ce-id": "e1",
      "ce-type": "invoice.paid",
      "ce-source": "ingress:stripe",
      "ce-time": "2024-05-01T10:00:00Z",
      "ce-partitionkey": "cus_1",
    });
  });

  it("turns AMQP header values into strings", () => {
    assert.deepEqual(headersToStrings({ a: "x", b: 2, c: true, d: Buffer.from("y"), e: { f: 1 }, g: null }), {
      a: "x",
      b: "2",
      c: "true",
      d: "y",
      e: '{"f":1}',
    });
  });

  it("classifies broker errors", () => {
    assert.equal(translateAmqpError({ code: 403, message: "ACCESS_REFUSED" }, "w").code, "CONFIG_INVALID");
    assert.equal(translateAmqpError({ code: 404, message: "NOT_FOUND - no queue" }, "w").code, "RESOURCE_NOT_FOUND");
    assert.equal(translateAmqpError(new Error("connect ECONNREFUSED"), "w").retryable, true);
  });
});
