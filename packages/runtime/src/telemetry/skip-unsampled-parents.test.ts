import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parentContextOf, traceContextOfSpan } from "@hookyard/core";
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { skipUnsampledParents } from "./skip-unsampled-parents.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("skipUnsampledParents", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = skipUnsampledParents(provider.getTracer("test"));

  it("passes an unsampled parent's context on as it came, recording nothing", () => {
    const traceparent = `00-${TRACE}-${PARENT}-00`;
    const span = tracer.startSpan("POST", {}, parentContextOf({ traceparent, tracestate: "k=v" }));
    assert.equal(span.isRecording(), false);
    assert.deepEqual(traceContextOfSpan(span), { traceparent, tracestate: "k=v" });
    span.end();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it("leaves a sampled parent, and a span without a parent, to the SDK", () => {
    const child = tracer.startSpan("POST", {}, parentContextOf({ traceparent: `00-${TRACE}-${PARENT}-01` }));
    assert.equal(child.isRecording(), true);
    assert.equal(child.spanContext().traceId, TRACE);
    assert.notEqual(child.spanContext().spanId, PARENT, "a span of its own");
    child.end();
    const root = tracer.startSpan("accept");
    assert.equal(root.isRecording(), true);
    root.end();
    assert.deepEqual(
      exporter.getFinishedSpans().map((span) => span.name),
      ["POST", "accept"],
    );
  });
});
