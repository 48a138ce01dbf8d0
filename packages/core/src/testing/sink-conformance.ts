import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Sink } from "../connector.js";
import { createEnvelope, type Envelope } from "../envelope.js";
import type { SinkCheck, SinkConformanceOptions, SinkHarness, TestMessage } from "./harness.js";
import { describeSinkLimitChecks } from "./sink-limit-checks.js";
import { createTestContext } from "./test-context.js";
import { ALL_BYTES, CONFORMANCE_TYPE, hex, NON_UTF8_BYTES, runTag } from "./test-messages.js";

/**
 * The shared sink conformance suite (node:test): envelopes round-trip byte-identical with CloudEvents binary-mode
 * headers/attributes and their own headers, empty and large batches, stop() idempotent; and the batching contract
 * (sink-limit-checks.ts): declared limits, a batch over them split and delivered whole, only an event over the
 * limit failing (permanently, naming its size and the limit), a batch-level transient failure retryable.
 */
export function describeSinkConformance(options: SinkConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const keyPreserved = options.capabilities?.keyPreserved ?? false;
  const binaryPayloads = options.capabilities?.binaryPayloads ?? true;

  const check: SinkCheckRunner = (name, title, body) => {
    if (options.omit?.[name] !== undefined) return;
    it(`${title} [${name}]`, { timeout: timeoutMs * 3 }, async () => {
      const harness = await options.setup();
      const sink = harness.createSink(createTestContext());
      try {
        await body(harness, sink);
      } finally {
        await sink.stop().catch(() => undefined);
        await harness.cleanup();
      }
    });
  };

  describe(`${options.broker} sink conformance`, () => {
    check("round-trip", "publishes envelopes byte-identical with ce-* headers", async (harness, sink) => {
      const tag = runTag();
      const envelopes: Envelope[] = [
        createEnvelope({
          id: `${tag}-1`,
          source: "ingress:conformance",
          type: CONFORMANCE_TYPE,
          time: "2024-05-01T10:00:00.000Z",
          subject: "subject-1",
          contentType: "application/json",
          data: JSON.stringify({ text: "héllo ✓ 🚀" }),
          headers: { "x-custom": "value / ünïcode ✓" },
          key: `key-${tag}`,
        }),
        ...(binaryPayloads
          ? [
              createEnvelope({
                id: `${tag}-2`,
                source: "ingress:conformance",
                type: "conformance.binary",
                contentType: "application/octet-stream",
                data: NON_UTF8_BYTES,
              }),
              createEnvelope({
                id: `${tag}-3`,
                source: "ingress:conformance",
                type: "conformance.binary",
                contentType: "application/octet-stream",
                data: ALL_BYTES,
              }),
            ]
          : []),
      ];
      await sink.send(envelopes);
      const received = await harness.readBack(envelopes.length, timeoutMs);
      assert.equal(received.length, envelopes.length);
      for (const envelope of envelopes) {
        const message = received.find((m) => m.headers["ce-id"] === envelope.id);
        assert.ok(message, `envelope ${envelope.id} arrived with a ce-id header`);
        assert.equal(hex(message.data), hex(envelope.data), `payload bytes of ${envelope.id}`);
        assert.equal(message.headers["ce-type"], envelope.type);
        assert.equal(message.headers["ce-source"], envelope.source);
        assert.equal(Date.parse(message.headers["ce-time"] ?? ""), Date.parse(envelope.time), "ce-time");
        assert.equal(message.headers["ce-subject"], envelope.subject);
        assert.match(
          message.headers["content-type"] ?? "",
          new RegExp(`^${escape(envelope.contentType)}`),
          "content-type",
        );
        for (const [name, value] of Object.entries(envelope.headers)) {
          assert.equal(message.headers[name], value, `header ${name} of ${envelope.id}`);
        }
        if (keyPreserved && envelope.key !== undefined) assert.equal(message.key, envelope.key, "key");
      }
    });

    check("empty-batch", "an empty batch resolves and publishes nothing", async (_harness, sink) => {
      await sink.send([]);
    });

    check("large-batch", "a batch of 50 arrives whole", async (harness, sink) => {
      const tag = runTag();
      const envelopes = Array.from({ length: 50 }, (_, i) =>
        createEnvelope({
          id: `${tag}-${i}`,
          source: "ingress:conformance",
          type: CONFORMANCE_TYPE,
          data: `{"i":${i}}`,
        }),
      );
      await sink.send(envelopes);
      const received: TestMessage[] = await harness.readBack(envelopes.length, timeoutMs);
      const ids = new Set(received.map((m) => m.headers["ce-id"]));
      for (const envelope of envelopes) assert.ok(ids.has(envelope.id), `envelope ${envelope.id} arrived`);
    });

    describeSinkLimitChecks(check, timeoutMs);

    check("stop-idempotent", "stop() is idempotent, also on a sink that never sent", async (harness, sink) => {
      await Promise.all([sink.stop(), sink.stop()]);
      await sink.stop();
      const unused = harness.createSink(createTestContext());
      await unused.stop();
      await unused.stop();
    });
  });
}

/** Registers one check (unless omitted): a fresh harness and sink per check, both cleaned up after it. */
export type SinkCheckRunner = (
  name: SinkCheck,
  title: string,
  body: (harness: SinkHarness, sink: Sink) => Promise<void>,
) => void;
