import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, withTraceContext } from "../envelope.js";
import { decodeEnvelope, encodeEnvelope } from "../envelope-codec.js";
import { compileEnvelopeMapping } from "../mapping/compile-envelope-mapping.js";
import { formatTraceparent, parseTraceparent, traceContextOf } from "./trace-context.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("W3C trace context", () => {
  it("parses a valid traceparent and refuses malformed ones", () => {
    assert.deepEqual(parseTraceparent(PARENT), {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: 1,
    });
    for (const bad of [
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      `${PARENT}, ${PARENT}`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, bad);
    }
    // A later version is read by its first four fields (forward compatibility).
    assert.equal(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later`)?.traceFlags, 1);
  });

  it("formats version 00 with the sampled flag only", () => {
    assert.equal(formatTraceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 3), PARENT);
    assert.match(formatTraceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0), /-00$/);
  });

  it("reads headers: a bad tracestate is dropped, a bad traceparent drops both", () => {
    assert.deepEqual(traceContextOf({ traceparent: PARENT, tracestate: "congo=t61rcWkgMzE" }), {
      traceparent: PARENT,
      tracestate: "congo=t61rcWkgMzE",
    });
    assert.deepEqual(traceContextOf({ traceparent: PARENT, tracestate: "x".repeat(513) }), { traceparent: PARENT });
    assert.deepEqual(traceContextOf({ traceparent: PARENT, tracestate: "a=\u0001" }), { traceparent: PARENT });
    assert.equal(traceContextOf({ traceparent: "nonsense", tracestate: "a=b" }), undefined);
    assert.equal(traceContextOf({}), undefined);
  });

  it("travels with the envelope through its stored form (Redis, the outbox, history)", () => {
    const envelope = createEnvelope({
      id: "e-1",
      source: "kafka:orders",
      type: "order.created",
      data: "{}",
      traceparent: PARENT,
      tracestate: "congo=t61rcWkgMzE",
    });
    const decoded = decodeEnvelope(encodeEnvelope(envelope));
    assert.equal(decoded.traceparent, PARENT);
    assert.equal(decoded.tracestate, "congo=t61rcWkgMzE");
    const without = decodeEnvelope(encodeEnvelope(withTraceContext(envelope, undefined)));
    assert.equal(without.traceparent, undefined);
    assert.equal(without.tracestate, undefined);
    assert.ok(!encodeEnvelope(without).includes("trace"), "no trace fields stored when there is no context");
  });

  it("refuses an envelope with a malformed traceparent", () => {
    assert.throws(
      () => createEnvelope({ id: "e", source: "s", type: "t", data: "", traceparent: "00-zz" }),
      /traceparent/,
    );
  });

  it("the source mapping takes the producer's traceparent from any-case message headers, ignores a bad one", () => {
    const mapping = compileEnvelopeMapping(undefined, "sources[0].mapping");
    const message = (headers: Record<string, string>) => ({
      data: new TextEncoder().encode("{}"),
      headers: { "ce-type": "order.created", ...headers },
      source: "kafka:orders",
      defaults: { id: "orders-0-1" },
    });
    const traced = mapping.map(message({ TraceParent: PARENT, tracestate: "a=b" }));
    assert.equal(traced.traceparent, PARENT);
    assert.equal(traced.tracestate, "a=b");
    const bad = mapping.map(message({ traceparent: "00-bad" }));
    assert.equal(bad.traceparent, undefined, "a malformed traceparent never rejects the event");
    assert.equal(mapping.map(message({})).traceparent, undefined);
  });
});
