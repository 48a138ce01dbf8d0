import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Source } from "../connector.js";
import { connectionError, permanentError } from "../errors.js";
import type { SourceCheck, SourceConformanceOptions, SourceHarness, TestMessage } from "./harness.js";
import { createRecordingDeliver } from "./recording-deliver.js";
import { createTestSourceContext } from "./test-context.js";
import {
  ALL_BYTES,
  CONFORMANCE_TYPE,
  conformanceMessage,
  hex,
  messageId,
  NON_UTF8_BYTES,
  POISON_TYPE,
  runTag,
  sameBytes,
} from "./test-messages.js";
import { waitUntil } from "./wait-until.js";

/** A window for something that must NOT happen (a deliver past the cap, a call after stop): not synchronization. */
const QUIET_MS = 200;

interface TestScope {
  readonly harness: SourceHarness;
  readonly tag: string;
  /** Registers a source so it is stopped at the end of the test whatever happens. */
  track(source: Source): Source;
}

/**
 * The shared source conformance suite (node:test). Each check runs against a fresh harness from `setup()`:
 * payload bytes and headers preserved, redelivery after a retryable reject, dead-lettering (non-retryable reject,
 * mapping failure, oversize) without blocking later messages, stop() draining and idempotent, back-pressure, and
 * per-key order where the broker gives it.
 */
export function describeSourceConformance(options: SourceConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const caps = {
    orderedByKey: options.capabilities?.orderedByKey ?? false,
    keyPreserved: options.capabilities?.keyPreserved ?? options.capabilities?.orderedByKey ?? false,
    binaryPayloads: options.capabilities?.binaryPayloads ?? true,
    concurrent: options.capabilities?.concurrent ?? true,
  };
  const wait = { timeoutMs };

  const check = (name: SourceCheck, title: string, body: (scope: TestScope) => Promise<void>) => {
    // Checks that cannot apply (no per-key order) or that another suite runs are not registered at all.
    const omitted =
      options.omit?.[name] ?? (name === "key-order" && !caps.orderedByKey ? "no per-key order" : undefined);
    if (omitted !== undefined) return;
    it(`${title} [${name}]`, { timeout: timeoutMs * 4 }, async () => {
      const harness = await options.setup();
      const sources: Source[] = [];
      try {
        await body({
          harness,
          tag: runTag(),
          track: (source) => {
            sources.push(source);
            return source;
          },
        });
      } finally {
        await Promise.allSettled(sources.map((source) => source.stop()));
        await harness.cleanup();
      }
    });
  };

  describe(`${options.broker} source conformance`, () => {
    check("payload-and-headers", "delivers payload bytes and headers unchanged", async ({ harness, tag, track }) => {
      const key = `key-${tag}`;
      const messages: TestMessage[] = [
        conformanceMessage(tag, 1, {
          headers: { "ce-time": "2024-05-01T10:00:00Z", "ce-subject": "subject-1", "x-custom": "value / ünïcode ✓" },
          key,
        }),
        ...(caps.binaryPayloads
          ? [conformanceMessage(tag, 2, { data: NON_UTF8_BYTES }), conformanceMessage(tag, 3, { data: ALL_BYTES })]
          : []),
      ];
      await harness.publish(messages);
      const ctx = createTestSourceContext({ sourceId: `conf-${tag}` });
      const recorder = createRecordingDeliver();
      await track(harness.createSource(ctx)).start(recorder.deliver);
      await recorder.waitForResolved(messages.length, timeoutMs);

      const keys = new Set<string>();
      for (const message of messages) {
        const envelope = recorder.resolved.find((e) => e.id === messageId(message));
        assert.ok(envelope, `message ${messageId(message)} was delivered`);
        assert.equal(hex(envelope.data), hex(message.data), `payload bytes of ${envelope.id}`);
        for (const [name, value] of Object.entries(message.headers)) {
          assert.equal(envelope.headers[name], value, `header ${name} of ${envelope.id}`);
        }
        assert.equal(envelope.type, CONFORMANCE_TYPE);
        assert.equal(envelope.source, `${options.broker}:${ctx.sourceId}`);
        assert.equal(typeof envelope.idempotencyKey, "string", "idempotencyKey from the broker's coordinates");
        assert.ok((envelope.idempotencyKey ?? "").length > 0, "idempotencyKey is not empty");
        keys.add(envelope.idempotencyKey ?? "");
      }
      assert.equal(keys.size, messages.length, "every message has its own idempotencyKey");
      const first = recorder.resolved.find((e) => e.id === messageId(messages[0] as TestMessage));
      assert.equal(first?.time, "2024-05-01T10:00:00Z");
      assert.equal(first?.subject, "subject-1");
      if (caps.keyPreserved) assert.equal(first?.key, key);
      assert.deepEqual(ctx.deadLetters, []);
    });

    check("redelivery", "redelivers a message whose deliver rejected with a retryable error", async (scope) => {
      const { harness, tag, track } = scope;
      const [first, second] = [conformanceMessage(tag, 1), conformanceMessage(tag, 2)];
      await harness.publish([first, second]);
      const ctx = createTestSourceContext();
      const firstId = messageId(first);
      const recorder = createRecordingDeliver((envelope, attempt) => {
        if (envelope.id === firstId && attempt === 1) throw connectionError("conformance: redis is down");
      });
      await track(harness.createSource(ctx)).start(recorder.deliver);
      await recorder.waitForResolvedId(firstId, timeoutMs);
      await recorder.waitForResolvedId(messageId(second), timeoutMs);

      const calls = recorder.calls.filter((call) => call.envelope.id === firstId);
      assert.ok(calls.length >= 2, "the rejected message was delivered again");
      assert.equal(calls[0]?.outcome, "rejected");
      const [a, b] = [calls[0]?.envelope, calls[1]?.envelope];
      assert.ok(a && b && sameBytes(a.data, b.data), "the redelivery carries the same bytes");
      assert.equal(b?.idempotencyKey, a?.idempotencyKey, "the redelivery carries the same idempotencyKey");
      assert.deepEqual(ctx.deadLetters, [], "a retryable reject is not dead-lettered");
    });

    check(
      "dead-letter-rejected",
      "dead-letters and acks a message deliver rejects as non-retryable, and keeps flowing",
      async (scope) => {
        const { harness, tag, track } = scope;
        const poison = conformanceMessage(tag, 1, { type: POISON_TYPE });
        const after = [conformanceMessage(tag, 2), conformanceMessage(tag, 3)];
        await harness.publish([poison, ...after]);
        const ctx = createTestSourceContext();
        const recorder = createRecordingDeliver((envelope) => {
          if (envelope.type === POISON_TYPE) throw permanentError("conformance: endpoint config rejects this event");
        });
        const source = track(harness.createSource(ctx));
        await source.start(recorder.deliver);
        for (const message of after) await recorder.waitForResolvedId(messageId(message), timeoutMs);
        await waitUntil("the dead letter", () => (ctx.deadLetters.length > 0 ? true : undefined), wait);

        assert.equal(ctx.deadLetters.length, 1);
        const dead = ctx.deadLetters[0];
        assert.ok(dead && sameBytes(dead.message.data, poison.data), "the dead letter carries the payload");
        assert.equal(dead?.message.headers["ce-id"], messageId(poison));
        assert.match(dead?.reason ?? "", /endpoint config rejects this event/, "the reason names the error");
        assert.equal(recorder.attempts(messageId(poison)), 1, "a non-retryable reject is not redelivered");
        await source.stop();
        await assertAcked(scope, [poison, ...after]);
      },
    );

    check("dead-letter-mapping", "dead-letters and acks a message whose mapping fails", async (scope) => {
      const { harness, tag, track } = scope;
      const unmappable: TestMessage = { data: new TextEncoder().encode("{}"), headers: { "ce-id": `${tag}-bad` } };
      const good = conformanceMessage(tag, 2);
      await harness.publish([unmappable, good]);
      const ctx = createTestSourceContext();
      const recorder = createRecordingDeliver();
      const source = track(harness.createSource(ctx));
      await source.start(recorder.deliver);
      await recorder.waitForResolvedId(messageId(good), timeoutMs);
      await waitUntil("the dead letter", () => (ctx.deadLetters.length > 0 ? true : undefined), wait);

      assert.equal(ctx.deadLetters.length, 1);
      assert.equal(ctx.deadLetters[0]?.message.headers["ce-id"], `${tag}-bad`);
      assert.match(ctx.deadLetters[0]?.reason ?? "", /type/, "the reason says the type is missing");
      assert.equal(recorder.attempts(`${tag}-bad`), 0, "an unmappable message never reaches deliver");
      await source.stop();
      await assertAcked(scope, [unmappable, good]);
    });

    check("dead-letter-oversize", "dead-letters a message over maxMessageBytes", async ({ harness, tag, track }) => {
      const big = conformanceMessage(tag, 1, { data: new Uint8Array(4096).fill(0x61) });
      const small = conformanceMessage(tag, 2);
      await harness.publish([big, small]);
      const ctx = createTestSourceContext();
      const recorder = createRecordingDeliver();
      await track(harness.createSource(ctx, { maxMessageBytes: 1024 })).start(recorder.deliver);
      await recorder.waitForResolvedId(messageId(small), timeoutMs);
      await waitUntil("the dead letter", () => (ctx.deadLetters.length > 0 ? true : undefined), wait);

      assert.equal(ctx.deadLetters.length, 1);
      assert.equal(ctx.deadLetters[0]?.message.data.byteLength, 4096);
      assert.ok((ctx.deadLetters[0]?.reason ?? "").length > 0);
      assert.equal(recorder.attempts(messageId(big)), 0, "an oversize message never reaches deliver");
    });

    check("stop-drains", "stop() waits for an in-flight deliver, acks it, and is idempotent", async (scope) => {
      const { harness, tag, track } = scope;
      const messages = [1, 2, 3].map((n) => conformanceMessage(tag, n));
      await harness.publish(messages);
      const ctx = createTestSourceContext();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let stopResolved = false;
      let calledAfterStop = false;
      const recorder = createRecordingDeliver(async () => {
        if (stopResolved) calledAfterStop = true;
        await gate;
      });
      const source = track(harness.createSource(ctx, { maxInFlight: 1 }));
      await source.start(recorder.deliver);
      await waitUntil("a delivery in flight", () => (recorder.calls.length > 0 ? true : undefined), wait);
      const held = recorder.calls[0]?.envelope;
      assert.ok(held);

      const stopping = source.stop().then(() => {
        stopResolved = true;
      });
      await delay(QUIET_MS);
      assert.equal(stopResolved, false, "stop() waits for the in-flight deliver");
      release();
      await stopping;
      assert.equal(recorder.calls[0]?.outcome, "resolved");
      const callsAtStop = recorder.calls.length;
      await Promise.all([source.stop(), source.stop()]);
      await source.stop();

      await assertAcked(scope, [messages.find((m) => messageId(m) === held.id) as TestMessage]);
      assert.equal(calledAfterStop, false, "nothing is delivered after stop() resolved");
      assert.equal(recorder.calls.length, callsAtStop, "nothing is delivered after stop() resolved");
    });

    check("stop-before-start", "stop() resolves on a source that never started", async ({ harness, track }) => {
      const source = track(harness.createSource(createTestSourceContext()));
      await source.stop();
      await source.stop();
    });

    check(
      "back-pressure",
      "never has more than maxInFlight deliveries outstanding",
      async ({ harness, tag, track }) => {
        const maxInFlight = 4;
        const messages = Array.from({ length: 40 }, (_, i) => conformanceMessage(tag, i + 1));
        await harness.publish(messages);
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const recorder = createRecordingDeliver(async () => {
          await gate;
          await delay(2);
        });
        await track(harness.createSource(createTestSourceContext(), { maxInFlight })).start(recorder.deliver);
        const expected = caps.concurrent ? maxInFlight : 1;
        await waitUntil(
          `${expected} deliveries outstanding`,
          () => (recorder.outstanding >= expected ? true : undefined),
          wait,
        );
        await delay(QUIET_MS);
        assert.ok(recorder.calls.length <= maxInFlight, `at most ${maxInFlight} handed out while deliver hangs`);
        release();
        await recorder.waitForResolved(messages.length, timeoutMs);
        assert.ok(
          recorder.maxOutstanding <= maxInFlight,
          `max outstanding ${recorder.maxOutstanding} > ${maxInFlight}`,
        );
      },
    );

    check("key-order", "delivers messages of one key in order, one at a time", async ({ harness, tag, track }) => {
      const keys = ["a", "b", "c"].map((k) => `${k}-${tag}`);
      const perKey = 8;
      const messages: TestMessage[] = [];
      for (let i = 0; i < perKey; i += 1) {
        for (const key of keys)
          messages.push(conformanceMessage(tag, messages.length + 1, { key, headers: { "x-key-seq": String(i) } }));
      }
      await harness.publish(messages);
      const recorder = createRecordingDeliver(async () => {
        await delay(Math.floor(Math.random() * 6));
      });
      await track(harness.createSource(createTestSourceContext(), { maxInFlight: 16 })).start(recorder.deliver);
      await recorder.waitForResolved(messages.length, timeoutMs);

      assert.equal(recorder.maxOutstandingPerKey, 1, "one delivery per key at a time");
      for (const key of keys) {
        const seq = recorder.calls
          .filter((c) => c.envelope.key === key)
          .map((c) => Number(c.envelope.headers["x-key-seq"]));
        assert.deepEqual(seq, [...Array(perKey).keys()], `order of key ${key}`);
      }
    });
  });

  /**
   * The given messages were acked: a new source on the same stream gets a sentinel published after them, and none
   * of them again.
   */
  async function assertAcked(scope: TestScope, acked: readonly TestMessage[]): Promise<void> {
    const sentinel = conformanceMessage(scope.tag, 9999);
    await scope.harness.publish([sentinel]);
    const ctx = createTestSourceContext();
    const recorder = createRecordingDeliver();
    const source = scope.track(scope.harness.createSource(ctx));
    await source.start(recorder.deliver);
    await recorder.waitForResolvedId(messageId(sentinel), timeoutMs);
    await source.stop();
    const again = acked.map(messageId).filter((id) => recorder.attempts(id) > 0);
    assert.deepEqual(again, [], "acked messages are not delivered again to a new source");
    assert.deepEqual(
      ctx.deadLetters.map((d) => d.message.headers["ce-id"]),
      [],
      "dead-lettered messages are not dead-lettered again",
    );
  }
}
