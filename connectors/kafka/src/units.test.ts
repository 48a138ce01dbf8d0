import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { createContiguousOffsets } from "./contiguous-offsets.js";
import { isTooLargeError, translateKafkaError } from "./errors.js";
import { BATCH_OVERHEAD_BYTES, packChunks, recordInBatchBytes, singleRecordBatchBytes } from "./record-size.js";
import { toKafkaRecord } from "./sink.js";
import { compileTopicTemplate } from "./topic-template.js";

describe("contiguous offsets", () => {
  it("advances only over a done prefix, whatever order messages finish in, across gaps", () => {
    const offsets = createContiguousOffsets<string>();
    for (const offset of [10n, 11n, 13n, 14n]) offsets.add(offset); // 12 was compacted away
    assert.equal(offsets.complete(11n, "c11"), undefined);
    assert.equal(offsets.complete(14n, "c14"), undefined);
    assert.equal(offsets.complete(10n, "c10"), "c11", "the prefix ends at 11: its commit is the one to send");
    assert.equal(offsets.pending, 2);
    assert.equal(offsets.complete(13n, "c13"), "c14");
    assert.equal(offsets.pending, 0);
    offsets.add(15n);
    assert.equal(offsets.complete(15n, "c15"), "c15");
  });

  it("refuses offsets that go back or were never handed out", () => {
    const offsets = createContiguousOffsets<string>();
    offsets.add(5n);
    assert.throws(() => offsets.add(5n), RangeError);
    assert.throws(() => offsets.complete(6n, "x"), RangeError);
    assert.equal(offsets.complete(5n, "c5"), "c5");
    assert.throws(() => offsets.complete(5n, "again"), RangeError);
  });

  it("stays correct over many messages (the queue is compacted)", () => {
    const offsets = createContiguousOffsets<bigint>();
    for (let i = 0n; i < 5000n; i++) offsets.add(i);
    // Odd ones first, then even ones: each even completion releases itself and the odd one after it.
    for (let i = 1n; i < 5000n; i += 2n) assert.equal(offsets.complete(i, i), undefined);
    for (let i = 0n; i < 5000n; i += 2n) assert.equal(offsets.complete(i, i), i + 1n);
    assert.equal(offsets.pending, 0);
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

describe("record sizes and batch packing", () => {
  it("counts a record's bytes as Kafka frames it", () => {
    // value 3 bytes, no key, no headers: attributes + 2 deltas (3) + null key (1) + length 1 + 3 + header count 1.
    const bare = { value: Buffer.from("abc"), headers: {} };
    assert.equal(singleRecordBatchBytes(bare), BATCH_OVERHEAD_BYTES + 1 + 9);
    // A 200-byte value needs a 2-byte length; a key and a header add their bytes and lengths.
    const keyed = { value: Buffer.alloc(200), headers: { h: "v" }, key: "k" };
    assert.equal(singleRecordBatchBytes(keyed), BATCH_OVERHEAD_BYTES + 2 + (3 + 2 + 202 + 1 + 4));
    assert.ok(recordInBatchBytes(keyed) > singleRecordBatchBytes(keyed) - BATCH_OVERHEAD_BYTES);
    const envelope = createEnvelope({ id: "e1", source: "s", type: "t", data: "x".repeat(100_000) });
    assert.ok(singleRecordBatchBytes(toKafkaRecord(envelope)) > 100_000 + BATCH_OVERHEAD_BYTES);
  });

  it("packs in order under the byte and count limits", () => {
    const sizes = [400, 400, 400, 100, 100, 100, 100, 900];
    const chunks = packChunks(sizes, (size) => size, 1000, 3);
    assert.deepEqual(chunks, [[400, 400], [400, 100, 100], [100, 100], [900]]);
    for (const chunk of chunks) {
      assert.ok(BATCH_OVERHEAD_BYTES + chunk.reduce((a, b) => a + b, 0) <= 1000);
      assert.ok(chunk.length <= 3);
    }
  });
});

describe("kafka error translation", () => {
  it("classifies credentials, ACLs, connection, size and unknown errors from the driver's error shapes", () => {
    const sasl = translateKafkaError({ code: "PLT_KFK_AUTHENTICATION", message: "bad password" }, "src");
    assert.equal(sasl.code, "CONFIG_INVALID");
    assert.equal(sasl.retryable, false);
    const down = translateKafkaError(
      { code: "PLT_KFK_MULTIPLE", message: "Cannot connect to any broker.", errors: [{ code: "PLT_KFK_NETWORK" }] },
      "src",
    );
    assert.equal(down.code, "CONNECTION_FAILED");
    assert.equal(down.retryable, true);
    const acl = translateKafkaError(
      { code: "PLT_KFK_RESPONSE", errors: [{ apiId: "TOPIC_AUTHORIZATION_FAILED", canRetry: false, message: "no" }] },
      "src",
    );
    assert.equal(acl.code, "CONFIG_INVALID");
    const large = { code: "PLT_KFK_RESPONSE", errors: [{ apiId: "MESSAGE_TOO_LARGE", canRetry: false }] };
    assert.equal(isTooLargeError(large), true);
    assert.equal(translateKafkaError(large, "sink").retryable, false);
    assert.equal(translateKafkaError({ code: "X", canRetry: false, message: "m" }, "src").retryable, false);
    assert.equal(translateKafkaError(new Error("plain"), "src").retryable, true);
  });
});
