import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createRecordingDeliver, createTestContext, createTestSourceContext, runTag } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { checkSqsQueue } from "./check.js";
import { createSqsSink } from "./sink.js";
import { createSqsSource } from "./source.js";
import { createPlace, sinkConfig, sourceConfig, sqsTestBroker } from "./test-harness.js";

const broker = sqsTestBroker();

function envelope(
  id: string,
  data: string | Uint8Array,
  extra: { key?: string; headers?: Record<string, string> } = {},
) {
  return createEnvelope({ id, source: "ingress:test", type: "test.event", data, ...extra });
}

async function failureOf(promise: Promise<unknown>): Promise<HookyardError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof HookyardError, `expected a HookyardError, got ${String(error)}`);
  assert.equal(error.code, "SINK_PARTIAL_FAILURE");
  return error;
}

const failedOf = (error: HookyardError) =>
  error.details.failed as { index: number; id: string; code: string; message: string }[];

describe("sqs sink", () => {
  it("names an oversize and a non-UTF-8 item of a batch and sends the rest", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createSqsSink(sinkConfig(broker, { queueUrl: place.url, maxMessageBytes: 2048 }), createTestContext());
    after(() => sink.stop());
    const tag = runTag();
    const error = await failureOf(
      sink.send([
        envelope(`${tag}-0`, "{}"),
        envelope(`${tag}-1`, "x".repeat(4096)),
        envelope(`${tag}-2`, new Uint8Array([0xff, 0xfe])),
        envelope(`${tag}-3`, "{}"),
      ]),
    );
    assert.equal(error.retryable, false);
    assert.deepEqual(
      failedOf(error).map(({ index, id, code }) => ({ index, id, code })),
      [
        { index: 1, id: `${tag}-1`, code: "MESSAGE_TOO_LARGE" },
        { index: 2, id: `${tag}-2`, code: "MESSAGE_REJECTED" },
      ],
    );
    assert.match(failedOf(error)[1]?.message ?? "", /bodyEncoding: "base64"/);
    const received = await place.read(2, 10_000);
    assert.deepEqual(received.map((m) => m.headers["ce-id"]).sort(), [`${tag}-0`, `${tag}-3`]);
  });

  it("reports what SQS itself refuses by index, and the sink keeps working", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createSqsSink(sinkConfig(broker, { queueUrl: place.url }), createTestContext());
    after(() => sink.stop());
    const tag = runTag();
    // The sink's own size check is raised so that SQS itself refuses the message (over its 1 MiB limit).
    const big = createSqsSink(sinkConfig(broker, { queueUrl: place.url, maxMessageBytes: "4mb" }), createTestContext());
    after(() => big.stop());
    const error = await failureOf(
      big.send([envelope(`${tag}-0`, "{}"), envelope(`${tag}-1`, "y".repeat(1100 * 1024))]),
    );
    assert.deepEqual(
      failedOf(error).map((item) => item.index),
      [1],
    );
    assert.match(failedOf(error)[0]?.message ?? "", /sqs/);
    await sink.send([envelope(`${tag}-2`, "{}")]);
    const received = await place.read(2, 10_000);
    assert.deepEqual(received.map((m) => m.headers["ce-id"]).sort(), [`${tag}-0`, `${tag}-2`]);
  });

  it("splits batches by 10 entries and 256 KiB", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createSqsSink(sinkConfig(broker, { queueUrl: place.url }), createTestContext());
    after(() => sink.stop());
    const tag = runTag();
    const envelopes = Array.from({ length: 23 }, (_, i) => envelope(`${tag}-${i}`, "z".repeat(100 * 1024)));
    await sink.send(envelopes);
    const received = await place.read(23, 20_000);
    assert.equal(new Set(received.map((m) => m.headers["ce-id"])).size, 23);
  });

  it("splits a batch SQS refuses as too long; only an event too long on its own fails, naming its size", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    // Limits above ElasticMQ's own (1 MiB per message and per batch), as a config ahead of its queue would be:
    // SQS refuses the requests, and the sink must split them rather than fail their events.
    const sink = createSqsSink(
      sinkConfig(broker, { queueUrl: place.url, maxMessageBytes: "2mb", maxBatchBytes: "4mb" }),
      createTestContext(),
    );
    after(() => sink.stop());
    const tag = runTag();
    const envelopes = Array.from({ length: 30 }, (_, i) => envelope(`${tag}-${i}`, "w".repeat(120 * 1024)));
    const oversized = envelope(`${tag}-big`, "v".repeat(1100 * 1024));
    const error = await failureOf(sink.send([...envelopes.slice(0, 15), oversized, ...envelopes.slice(15)]));
    assert.equal(error.retryable, false);
    const failed = failedOf(error);
    assert.deepEqual(
      failed.map(({ index, code }) => ({ index, code })),
      [{ index: 15, code: "MESSAGE_TOO_LARGE" }],
    );
    assert.match(failed[0]?.message ?? "", new RegExp(`${sink.sizeOf?.(oversized)} bytes`));
    const received = await place.read(30, 20_000);
    const ids = received.map((m) => m.headers["ce-id"]);
    assert.equal(new Set(ids).size, 30, "each event once");
    assert.deepEqual([...ids].sort(), envelopes.map((e) => e.id).sort());
  });

  it("takes its limits from the queue's MaximumMessageSize, else 256 KiB", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createSqsSink(sinkConfig(broker, { queueUrl: place.url }), createTestContext());
    after(() => sink.stop());
    // ElasticMQ does not report MaximumMessageSize: the documented default applies.
    assert.deepEqual(sink.limits?.(), { maxMessageBytes: 262_144, maxBatchMessages: 10, maxBatchBytes: 262_144 });
    const base64 = createSqsSink(
      sinkConfig(broker, { queueUrl: place.url, bodyEncoding: "base64" }),
      createTestContext(),
    );
    const event = envelope("sized", new Uint8Array(300));
    assert.ok((base64.sizeOf?.(event) ?? 0) >= 400, "base64 bodies count their encoded length");
  });

  it("FIFO: group id from the key (default group otherwise), deduplication id from the envelope id", async () => {
    const place = await createPlace(broker, { fifo: true });
    after(() => place.cleanup());
    const sink = createSqsSink(
      sinkConfig(broker, { queueName: place.name, defaultGroupId: "fallback" }),
      createTestContext(),
    );
    after(() => sink.stop());
    const tag = runTag();
    await sink.send([envelope(`${tag}-1`, "{}", { key: "customer-1" }), envelope(`${tag}-2`, "{}")]);
    // The same envelope again: SQS deduplicates it by its id.
    await sink.send([envelope(`${tag}-1`, "{}", { key: "customer-1" })]);
    const received = await place.read(2, 10_000);
    const byId = new Map(received.map((m) => [m.headers["ce-id"], m]));
    assert.equal(byId.get(`${tag}-1`)?.groupId, "customer-1");
    assert.equal(byId.get(`${tag}-1`)?.dedupId, `${tag}-1`);
    assert.equal(byId.get(`${tag}-2`)?.groupId, "fallback");
  });

  it("packs more than 10 attributes into hookyard-headers, which the source unpacks", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createSqsSink(sinkConfig(broker, { queueUrl: place.url }), createTestContext());
    const headers = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x-h${i}`, `v${i}`]));
    headers["x-odd name"] = "spaces are not allowed in SQS attribute names";
    const tag = runTag();
    await sink.send([envelope(`${tag}-1`, '{"a":1}', { headers })]);
    await sink.stop();
    const recorder = createRecordingDeliver();
    const source = createSqsSource(sourceConfig(broker, { queueUrl: place.url }), createTestSourceContext());
    await source.start(recorder.deliver);
    await recorder.waitForResolved(1, 10_000);
    await source.stop();
    const received = recorder.resolved[0];
    assert.equal(received?.id, `${tag}-1`);
    assert.equal(received?.type, "test.event");
    for (const [name, value] of Object.entries(headers)) assert.equal(received?.headers[name], value, name);
  });

  it("check() names a missing queue", async () => {
    const missing = uniqueName("missing");
    await assert.rejects(
      checkSqsQueue(sinkConfig(broker, { queueName: missing }), createTestContext()),
      (error: unknown) => error instanceof HookyardError && error.message.includes(missing),
    );
  });
});
