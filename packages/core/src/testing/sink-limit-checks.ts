import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Sink } from "../connector.js";
import { createEnvelope, type Envelope } from "../envelope.js";
import { HookyardError, isRetryable } from "../errors.js";
import type { FailedSinkItem } from "../sink-failure.js";
import type { SinkLimits } from "../sink-limits.js";
import type { TestMessage } from "./harness.js";
import type { SinkCheckRunner } from "./sink-conformance.js";
import { createTestContext } from "./test-context.js";
import { CONFORMANCE_TYPE, runTag, sameBytes } from "./test-messages.js";

/** The issue that brought these checks: ~100 KB events, several at once. */
const MEMBER_BYTES = 100 * 1024;
const MIN_MEMBERS = 30;
const MAX_MEMBERS = 120;
/** Above this the kit cannot build an over-limit event in memory: declare a real limit. */
const LARGEST_CHECKABLE_LIMIT = 256 * 1024 * 1024;

/**
 * The batching contract every sink is held to (see `Sink` in connector.ts): declared limits, a batch whose events
 * are each acceptable but together over the broker's request limits published whole and exactly once, only an event
 * that alone is over `maxMessageBytes` failing (permanently, naming its size and the limit) while its neighbours
 * arrive, and a batch-level failure of an unreachable broker retryable for every event.
 */
export function describeSinkLimitChecks(check: SinkCheckRunner, timeoutMs: number): void {
  check("limits", "declares limits() and sizeOf()", async (_harness, sink) => {
    const limits = await warmedLimits(sink);
    assert.ok(limits.maxMessageBytes > 0, `maxMessageBytes is positive (${limits.maxMessageBytes})`);
    assert.ok(
      Number.isInteger(limits.maxBatchMessages) && limits.maxBatchMessages >= 1,
      `maxBatchMessages is a positive integer (${limits.maxBatchMessages})`,
    );
    assert.ok(limits.maxBatchBytes > 0, `maxBatchBytes is positive (${limits.maxBatchBytes})`);
    const probe = event(runTag(), 0, 1000);
    assert.ok(sizeOf(sink, probe) >= probe.data.byteLength, "sizeOf counts at least the payload's bytes");
  });

  check(
    "batch-over-limits",
    "a batch of ~100 KB events together over the request limits arrives whole, each event once",
    async (harness, sink) => {
      const limits = await warmedLimits(sink);
      const tag = runTag();
      const memberBytes = Math.max(1, Math.min(MEMBER_BYTES, Math.floor(limits.maxMessageBytes / 2) - 1024));
      // Over both request limits where the kit can afford it: 1.5 × the byte limit, one more than the count limit.
      const wanted = Math.max(Math.ceil((1.5 * limits.maxBatchBytes) / memberBytes), limits.maxBatchMessages + 1);
      const count = Math.min(MAX_MEMBERS, Math.max(MIN_MEMBERS, wanted));
      const batch = Array.from({ length: count }, (_, i) => event(tag, i, memberBytes));
      await sink.send(batch);
      const received = (await harness.readBack(count + 1, timeoutMs)).filter((m) => idOf(m).startsWith(tag));
      assert.equal(received.length, count, `${count} events arrived`);
      assert.equal(new Set(received.map(idOf)).size, count, "no event arrived twice");
      for (const envelope of batch) {
        const message = received.find((m) => idOf(m) === envelope.id);
        assert.ok(message, `event ${envelope.id} arrived`);
        assert.ok(sameBytes(message.data, envelope.data), `payload bytes of ${envelope.id}`);
      }
    },
  );

  check(
    "oversize-event",
    "only an event over maxMessageBytes fails, permanently, naming its size and the limit",
    async (harness, sink) => {
      const limits = await warmedLimits(sink);
      assert.ok(
        limits.maxMessageBytes <= LARGEST_CHECKABLE_LIMIT,
        `maxMessageBytes (${limits.maxMessageBytes}) is a real limit the kit can exceed`,
      );
      const tag = runTag();
      const before = event(tag, 0, 1000);
      const oversized = event(tag, 1, Math.floor(limits.maxMessageBytes) + 1);
      const after = event(tag, 2, 1000);
      const size = sizeOf(sink, oversized);
      assert.ok(size > limits.maxMessageBytes, "sizeOf counts the oversized event over the limit");
      const failed = await failedItems(sink.send([before, oversized, after]));
      assert.equal(failed.error.retryable, false, "an event too large for the broker is not retryable");
      assert.deepEqual(
        failed.items.map((item) => item.index),
        [1],
        "only the oversized event (index 1) failed",
      );
      const item = failed.items[0] as FailedSinkItem;
      assert.equal(item.code, "MESSAGE_TOO_LARGE");
      assert.equal(item.retryable, false);
      assert.ok(item.message.includes(String(size)), `the reason names the event's size ${size}: ${item.message}`);
      assert.ok(
        item.message.includes(String(limits.maxMessageBytes)),
        `the reason names the limit ${limits.maxMessageBytes}: ${item.message}`,
      );
      const received = (await harness.readBack(3, timeoutMs)).filter((m) => idOf(m).startsWith(tag));
      assert.deepEqual(received.map(idOf).sort(), [before.id, after.id], "the oversized event's neighbours arrived");
    },
  );

  check(
    "transient-batch-error",
    "a batch-level failure (broker unreachable) is retryable for every event, and the retry delivers them",
    async (harness, sink) => {
      assert.ok(
        harness.createUnreachableSink,
        'the harness has no createUnreachableSink(): provide one, or omit "transient-batch-error" with the reason',
      );
      const unreachable = harness.createUnreachableSink(createTestContext());
      const tag = runTag();
      const batch = [event(tag, 0, 2000), event(tag, 1, 2000), event(tag, 2, 2000)];
      try {
        const outcome = await sendOutcome(unreachable.send(batch));
        assert.ok(outcome !== undefined, "send to an unreachable broker failed");
        assert.equal(isRetryable(outcome), true, `the failure is retryable: ${describe(outcome)}`);
        if (outcome instanceof HookyardError && outcome.code === "SINK_PARTIAL_FAILURE") {
          const items = outcome.details.failed as FailedSinkItem[];
          assert.deepEqual(
            items.map((item) => item.index),
            [0, 1, 2],
            "every event of the batch is named as failed",
          );
          for (const item of items) assert.equal(item.retryable, true, `event #${item.index} is retryable`);
        }
      } finally {
        await unreachable.stop().catch(() => undefined);
      }
      await sink.send(batch);
      const received = (await harness.readBack(3, timeoutMs)).filter((m) => idOf(m).startsWith(tag));
      assert.deepEqual(received.map(idOf).sort(), batch.map((e) => e.id).sort(), "the retried batch arrived");
    },
  );
}

/**
 * Sends one small event first (read back by the checks with the rest), so a sink that reads its limits from the
 * broker on its first publish has them, then returns them.
 */
async function warmedLimits(sink: Sink): Promise<SinkLimits> {
  assert.equal(typeof sink.limits, "function", "the sink declares limits()");
  assert.equal(typeof sink.sizeOf, "function", "the sink declares sizeOf()");
  await sink.send([event(`warm${runTag()}`, 0, 10)]);
  return (sink.limits as () => SinkLimits)();
}

function sizeOf(sink: Sink, envelope: Envelope): number {
  return (sink.sizeOf as (envelope: Envelope) => number)(envelope);
}

/** An event whose payload is `bytes` long: JSON text around random base64 (so compression cannot shrink it). */
function event(tag: string, n: number, bytes: number): Envelope {
  const head = `{"n":${n},"pad":"`;
  const tail = `"}`;
  const padLength = Math.max(0, bytes - head.length - tail.length);
  const pad = randomBytes(Math.ceil((padLength * 3) / 4) + 3)
    .toString("base64")
    .replace(/[+/=]/g, "x")
    .slice(0, padLength);
  return createEnvelope({
    id: `${tag}-${n}`,
    source: "ingress:conformance",
    type: CONFORMANCE_TYPE,
    contentType: "application/json",
    data: head + pad + tail,
  });
}

function idOf(message: TestMessage): string {
  return message.headers["ce-id"] ?? "";
}

async function sendOutcome(sending: Promise<void>): Promise<unknown> {
  try {
    await sending;
    return undefined;
  } catch (error) {
    return error;
  }
}

async function failedItems(sending: Promise<void>): Promise<{ error: HookyardError; items: FailedSinkItem[] }> {
  const error = await sendOutcome(sending);
  assert.ok(error instanceof HookyardError, `send failed with a HookyardError: ${describe(error)}`);
  assert.equal(error.code, "SINK_PARTIAL_FAILURE", `send failed with SINK_PARTIAL_FAILURE: ${error.message}`);
  const items = error.details.failed;
  assert.ok(Array.isArray(items), "details.failed lists the failed events");
  return { error, items: items as FailedSinkItem[] };
}

function describe(value: unknown): string {
  if (value instanceof HookyardError) return `${value.code}: ${value.message}`;
  return value instanceof Error ? value.message : String(value);
}
