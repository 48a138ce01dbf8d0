import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "./envelope.js";
import { decodeEnvelope, encodeEnvelope } from "./envelope-codec.js";
import { HookyardError } from "./errors.js";

describe("envelope", () => {
  it("keeps the payload byte-exact through the stored form", () => {
    const bytes = new Uint8Array([0, 255, 1, 128, 10, 13, 0xef, 0xbb, 0xbf]);
    const envelope = createEnvelope({
      id: "evt_1",
      source: "kafka:orders",
      type: "order.created",
      data: bytes,
      headers: { "X-Trace": "abc" },
      key: "customer-7",
    });
    const decoded = decodeEnvelope(encodeEnvelope(envelope));
    assert.deepEqual(decoded.data, bytes);
    assert.equal(decoded.headers["x-trace"], "abc");
    assert.equal(decoded.key, "customer-7");
    assert.equal(decoded.time, envelope.time);
  });

  it("stores a UTF-8 payload as text (a leading BOM, escapes and astral characters kept), other bytes as base64", () => {
    const texts = ['\ufeff{"a":"é\\"q\\"","emoji":"🎉","nl":"x\\ny"}', "", "plain\r\n\u0000"];
    for (const text of texts) {
      const data = new TextEncoder().encode(text);
      const stored = encodeEnvelope(createEnvelope({ id: "e", source: "s", type: "t", data }));
      assert.equal((JSON.parse(stored) as { text?: string }).text, text);
      assert.deepEqual(decodeEnvelope(stored).data, data);
    }
    const binary = new Uint8Array([0xc3, 0x28, 0xff]);
    const stored = encodeEnvelope(createEnvelope({ id: "e", source: "s", type: "t", data: binary }));
    assert.equal((JSON.parse(stored) as { data?: string }).data, Buffer.from(binary).toString("base64"));
    assert.deepEqual(decodeEnvelope(stored).data, binary);
  });

  it("names the bad field", () => {
    assert.throws(
      () => createEnvelope({ id: "", source: "s", type: "t", data: "{}" }),
      (error: unknown) =>
        error instanceof HookyardError && error.code === "ENVELOPE_INVALID" && /id/.test(error.message),
    );
    assert.throws(() => createEnvelope({ id: "a", source: "s", type: "t", data: "{}", time: "yesterday" }), /RFC 3339/);
  });

  it("refuses control characters in the fields that become header values (id, source, type, content type)", () => {
    const base = { id: "a", source: "s", type: "t", data: "{}" };
    for (const [field, value] of [
      ["id", "evt\r\nx-injected: 1"],
      ["source", "kafka:\u0000"],
      ["type", "order.created\n"],
      ["contentType", "application/json\r\n"],
    ] as const) {
      assert.throws(
        () => createEnvelope({ ...base, [field]: value }),
        new RegExp(`envelope ${field} contains a control character`),
        field,
      );
    }
    assert.equal(
      createEnvelope({ ...base, contentType: "text/plain; charset=utf-8" }).contentType,
      "text/plain; charset=utf-8",
    );
  });
});
