import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { type Message, type ReceiveMessageCommandOutput, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { connectionError, HookyardError } from "@hookyard/core";
import {
  captureLogs,
  conformanceMessage,
  createRecordingDeliver,
  createTestContext,
  createTestSourceContext,
  runTag,
  waitUntil,
} from "@hookyard/core/testing";
import { startTcpProxy, uniqueName } from "@hookyard/test-brokers";
import { checkSqsQueue } from "./check.js";
import { createSqsSource } from "./source.js";
import { createPlace, sourceConfig, sqsTestBroker } from "./test-harness.js";

const broker = sqsTestBroker();
const encoder = new TextEncoder();

describe("sqs source", () => {
  it("check() passes for an existing queue and names a missing one", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    await checkSqsQueue(sourceConfig(broker, { queueName: place.name }), createTestContext());
    const missing = uniqueName("missing");
    await assert.rejects(
      checkSqsQueue(sourceConfig(broker, { queueName: missing }), createTestContext()),
      (error: unknown) =>
        error instanceof HookyardError &&
        error.code === "CONFIG_INVALID" &&
        error.message.includes(`queue ${missing} does not exist`),
    );
    const source = createSqsSource(sourceConfig(broker, { queueName: missing }), createTestSourceContext());
    await assert.rejects(source.start(createRecordingDeliver().deliver), /does not exist/);
    await source.stop();
  });

  it("utf8 bodies arrive byte-exact; broker id, group key, time and idempotency key; attribute types", async () => {
    const place = await createPlace(broker, { fifo: true });
    after(() => place.cleanup());
    const body = '{"text":"héllo ✓ 🚀"}';
    const sent = await place.client.send(
      new SendMessageCommand({
        QueueUrl: place.url,
        MessageBody: body,
        MessageGroupId: "customer-7",
        MessageDeduplicationId: "d-1",
        MessageAttributes: {
          amount: { DataType: "Number", StringValue: "42.5" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 255, 1]) },
          "ce-type": { DataType: "String", StringValue: "order.created" },
        },
      }),
    );
    const recorder = createRecordingDeliver();
    const source = createSqsSource(sourceConfig(broker, { queueUrl: place.url }), createTestSourceContext());
    await source.start(recorder.deliver);
    await recorder.waitForResolved(1, 10_000);
    await source.stop();
    const envelope = recorder.resolved[0];
    assert.deepEqual(envelope?.data, encoder.encode(body));
    assert.equal(envelope?.id, sent.MessageId);
    assert.equal(envelope?.key, "customer-7");
    assert.equal(envelope?.idempotencyKey, `sqs:${place.name}:${sent.MessageId}`);
    assert.equal(envelope?.headers.amount, "42.5");
    assert.equal(envelope?.headers.blob, "AP8B");
    assert.ok(Math.abs(Date.parse(envelope?.time ?? "") - Date.now()) < 60_000);
  });

  it("dead-letters a body that is not base64 when bodyEncoding is base64", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const tag = runTag();
    await place.publish([conformanceMessage(tag, 1, { data: encoder.encode("not base64!") })], "utf8");
    await place.publish([conformanceMessage(tag, 2)], "base64");
    const ctx = createTestSourceContext();
    const recorder = createRecordingDeliver();
    const source = createSqsSource(sourceConfig(broker, { queueUrl: place.url, bodyEncoding: "base64" }), ctx);
    await source.start(recorder.deliver);
    await recorder.waitForResolvedId(`${tag}-2`, 10_000);
    await waitUntil("the dead letter", () => (ctx.deadLetters.length > 0 ? true : undefined));
    await source.stop();
    assert.match(ctx.deadLetters[0]?.reason ?? "", /not base64/);
    assert.equal(new TextDecoder().decode(ctx.deadLetters[0]?.message.data), "not base64!");
  });

  it("FIFO: a retryable reject holds the rest of its group until it is redelivered", async () => {
    const place = await createPlace(broker, { fifo: true });
    after(() => place.cleanup());
    const tag = runTag();
    const messages = [1, 2, 3, 4].map((n) => conformanceMessage(tag, n, { key: `g-${tag}` }));
    await place.publish(messages);
    const recorder = createRecordingDeliver((envelope, attempt) => {
      if (envelope.id === `${tag}-2` && attempt < 3) throw connectionError("redis is down");
    });
    const source = createSqsSource(sourceConfig(broker, { queueUrl: place.url }), createTestSourceContext());
    await source.start(recorder.deliver);
    await recorder.waitForResolved(4, 20_000);
    await source.stop();
    assert.deepEqual(
      recorder.resolved.map((envelope) => envelope.id),
      [1, 2, 3, 4].map((n) => `${tag}-${n}`),
    );
    assert.equal(recorder.attempts(`${tag}-2`), 3);
    assert.equal(recorder.maxOutstandingPerKey, 1);
  });

  it("extends the visibility of a slow delivery so it is not redelivered meanwhile", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const tag = runTag();
    await place.publish([conformanceMessage(tag, 1)]);
    // The delivery is slow on purpose (3 visibility timeouts); nothing is synchronized on this delay.
    const recorder = createRecordingDeliver(() => delay(3500));
    const source = createSqsSource(
      sourceConfig(broker, { queueUrl: place.url, visibilityTimeout: "1s" }),
      createTestSourceContext(),
    );
    await source.start(recorder.deliver);
    await recorder.waitForResolved(1, 10_000);
    await source.stop();
    assert.equal(recorder.attempts(`${tag}-1`), 1);
  });

  it("a body that does not match its MD5OfBody is received again, without failing the rest of its batch", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const tag = runTag();
    await place.publish([conformanceMessage(tag, 1), conformanceMessage(tag, 2)]);
    // A client of the test's own whose first receive of message 1 reports a wrong digest, as a corrupted transfer
    // would. The source checks the digests itself; the SDK's check (which would fail the whole receive) is off, as
    // on the source's own clients.
    const client = new SQSClient({
      endpoint: broker.endpoint,
      region: broker.region,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      md5: false,
    });
    after(() => client.destroy());
    const corrupted = new Set<string>();
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = (result.output ?? {}) as Partial<ReceiveMessageCommandOutput>;
        for (const message of (output.Messages ?? []) as Message[]) {
          const first = message.MessageAttributes?.["ce-id"]?.StringValue === `${tag}-1`;
          if (first && message.MessageId !== undefined && !corrupted.has(message.MessageId)) {
            corrupted.add(message.MessageId);
            message.MD5OfBody = "0".repeat(32);
          }
        }
        return result;
      },
      { step: "initialize", name: "corruptFirstDigest" },
    );
    const logs = captureLogs();
    const recorder = createRecordingDeliver();
    const source = createSqsSource(
      sourceConfig(broker, { queueUrl: place.url, bodyEncoding: "base64", retryBackoff: { initial: "1s", max: "1s" } }),
      { ...createTestSourceContext(), logger: logs.logger },
      { client },
    );
    after(() => source.stop());
    await source.start(recorder.deliver);
    await recorder.waitForResolvedId(`${tag}-2`, 10_000);
    assert.equal(recorder.attempts(`${tag}-1`), 0, "the corrupted message is not delivered");
    await recorder.waitForResolvedId(`${tag}-1`, 15_000);
    await source.stop();
    assert.equal(corrupted.size, 1);
    assert.equal(recorder.attempts(`${tag}-1`), 1);
    assert.ok(logs.lines.some((line) => line.msg.includes("does not match its MD5OfBody") && line.level >= 50));
  });

  it("stop() abandons open long polls once stopTimeout has passed", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const source = createSqsSource(
      sourceConfig(broker, { queueUrl: place.url, waitTime: "20s", stopTimeout: "1s", receivers: 12 }),
      createTestSourceContext(),
    );
    await source.start(createRecordingDeliver().deliver);
    await delay(300); // the long polls are open
    const started = Date.now();
    await source.stop();
    assert.ok(Date.now() - started < 5000, `stop() took ${Date.now() - started} ms`);
  });

  it("logs and backs off while SQS is unreachable, then resumes by itself", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const target = new URL(broker.endpoint);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    after(() => proxy.close());
    const logs = captureLogs();
    const ctx = { ...createTestSourceContext(), logger: logs.logger };
    const recorder = createRecordingDeliver();
    // A long poll cut mid-way keeps running inside SQS and may take a message published meanwhile: a short
    // visibility timeout bounds how long that hides it.
    const source = createSqsSource(
      sourceConfig(broker, { queueUrl: place.url, endpoint: `http://${proxy.address}`, visibilityTimeout: "2s" }),
      ctx,
    );
    after(() => source.stop());
    await source.start(recorder.deliver);
    const tag = runTag();
    await place.publish([conformanceMessage(tag, 1)]);
    await recorder.waitForResolvedId(`${tag}-1`, 10_000);

    await proxy.down();
    await waitUntil("a logged receive failure", () =>
      logs.lines.some((line) => line.msg === "sqs receive failed" && line.level >= 50) ? true : undefined,
    );
    await place.publish([conformanceMessage(tag, 2)]);
    await proxy.up();
    await recorder.waitForResolvedId(`${tag}-2`, 40_000);
    await source.stop();
  });
});
