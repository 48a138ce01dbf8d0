import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeEnvelope } from "@hookyard/core";
import { testEnvelope } from "../testing.js";
import { createEnvelopeReuse } from "./envelope-reuse.js";

/** A fresh copy of `text` (as a Redis reply is a new string each time). */
const copy = (text: string) => Buffer.from(text, "utf8").toString("utf8");

describe("envelope reuse: one decode per delivery settled by the instance that leased it", () => {
  it("gives the hand-off the lease's envelope once, then decodes again", () => {
    const reuse = createEnvelopeReuse();
    const text = encodeEnvelope(testEnvelope("k"));
    const leased = reuse.leased("d1", copy(text));
    assert.equal(reuse.settled("d1", copy(text)), leased);
    assert.equal(reuse.size, 0);
    const again = reuse.settled("d1", copy(text));
    assert.notEqual(again, leased);
    assert.deepEqual(again, leased);
  });

  it("decodes the record's own text when it is not the text the lease decoded", () => {
    const reuse = createEnvelopeReuse();
    const leased = reuse.leased("d1", encodeEnvelope(testEnvelope("k")));
    const other = testEnvelope("k");
    const settled = reuse.settled("d1", encodeEnvelope(other));
    assert.notEqual(settled, leased);
    assert.deepEqual(settled, other);
    assert.equal(reuse.size, 0);
  });

  it("keeps at most maxChars of text, dropping the oldest first; a text over the bound is not kept", () => {
    const texts = ["a", "b", "c"].map((key) => encodeEnvelope(testEnvelope(key)));
    const [a, b, c] = texts as [string, string, string];
    const reuse = createEnvelopeReuse(a.length + b.length + 1);
    const envelopes = texts.map((text, i) => reuse.leased(`d${i}`, text));
    assert.equal(reuse.size, 2, "d0 went to make room for d2");
    assert.notEqual(reuse.settled("d0", a), envelopes[0]);
    assert.equal(reuse.settled("d2", c), envelopes[2]);
    assert.equal(reuse.settled("d1", b), envelopes[1]);
    const tiny = createEnvelopeReuse(10);
    tiny.leased("d0", a);
    assert.equal(tiny.size, 0);
  });

  it("keeps a delivery leased again (a retry) once, with its latest lease", () => {
    const text = encodeEnvelope(testEnvelope("k"));
    const reuse = createEnvelopeReuse(text.length);
    reuse.leased("d1", text);
    const second = reuse.leased("d1", copy(text));
    assert.equal(reuse.size, 1);
    assert.equal(reuse.settled("d1", text), second);
  });
});
