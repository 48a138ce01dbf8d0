import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { createContiguousOffsets } from "./contiguous-offsets.js";
import { translateKafkaError } from "./errors.js";
import { createSlots } from "./slots.js";
import { compileTopicTemplate } from "./topic-template.js";

describe("contiguous offsets", () => {
  it("advances only over a done prefix, whatever order messages finish in", () => {
    const offsets = createContiguousOffsets(["10", "11", "12", "13"]);
    assert.equal(offsets.complete(1), undefined);
    assert.equal(offsets.complete(3), undefined);
    assert.equal(offsets.complete(0), "11");
    assert.equal(offsets.prefix, 2);
    assert.equal(offsets.complete(2), "13");
    assert.equal(offsets.prefix, 4);
  });
});

describe("slots", () => {
  it("bounds holders, hands slots over in order, and gives up on abort", async () => {
    const slots = createSlots(2);
    const signal = new AbortController().signal;
    assert.equal(await slots.acquire(signal), true);
    assert.equal(await slots.acquire(signal), true);
    const order: number[] = [];
    const third = slots.acquire(signal).then((ok) => order.push(3) && ok);
    const aborted = new AbortController();
    const fourth = slots.acquire(aborted.signal);
    aborted.abort();
    assert.equal(await fourth, false);
    slots.release();
    assert.equal(await third, true);
    assert.deepEqual(order, [3]);
    assert.equal(slots.used, 2);
    slots.release();
    slots.release();
    assert.equal(slots.used, 0);
  });
});

describe("topic template", () => {
  const envelope = createEnvelope({ id: "e1", source: "ingress:stripe", type: "invoice.paid", data: "{}" });
  it("renders fields and refuses bad names", () => {
    assert.equal(compileTopicTemplate("webhooks.{type}", "t")(envelope), "webhooks.invoice.paid");
    assert.equal(compileTopicTemplate("fixed", "t")(envelope), "fixed");
    assert.throws(() => compileTopicTemplate("x.{source}", "t")(envelope), { code: "MESSAGE_REJECTED" });
    assert.throws(() => compileTopicTemplate("x.{subject}", "t")(envelope), { code: "MESSAGE_REJECTED" });
    assert.throws(() => compileTopicTemplate("x.{bogus}", "t"), { code: "CONFIG_INVALID" });
  });
});

describe("kafka error translation", () => {
  it("classifies credentials, connection and unknown errors", () => {
    const sasl = translateKafkaError({ name: "KafkaJSSASLAuthenticationError", message: "bad password" }, "src");
    assert.equal(sasl.code, "CONFIG_INVALID");
    assert.equal(sasl.retryable, false);
    const down = translateKafkaError({ name: "KafkaJSConnectionError", message: "ECONNREFUSED" }, "src");
    assert.equal(down.code, "CONNECTION_FAILED");
    assert.equal(down.retryable, true);
    const acl = translateKafkaError(
      { name: "KafkaJSNumberOfRetriesExceeded", cause: { type: "TOPIC_AUTHORIZATION_FAILED", message: "no" } },
      "src",
    );
    assert.equal(acl.retryable, false);
    assert.equal(translateKafkaError({ name: "X", retriable: false, message: "m" }, "src").retryable, false);
  });
});
