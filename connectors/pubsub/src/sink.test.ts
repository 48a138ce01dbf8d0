import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createTestContext, runTag } from "@hookyard/core/testing";
import { startTcpProxy, uniqueName } from "@hookyard/test-brokers";
import { checkPubSubSink } from "./check.js";
import { createPubSubSink } from "./sink.js";
import { adminClient, createPlace, pubsubTestBroker, readMessages, sinkConfig } from "./test-harness.js";

const broker = pubsubTestBroker();

function envelope(id: string, data: string | Uint8Array, key?: string) {
  return createEnvelope({
    id,
    source: "ingress:test",
    type: "test.event",
    data,
    headers: { "x-trace": "t-1" },
    ...(key === undefined ? {} : { key }),
  });
}

function failedItems(error: unknown): { index: number; id: string; code: string }[] {
  assert.ok(error instanceof HookyardError, String(error));
  assert.equal(error.code, "SINK_PARTIAL_FAILURE");
  return error.details.failed as { index: number; id: string; code: string }[];
}

describe("pubsub sink", () => {
  it("names the failed item of a batch and publishes the rest", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const sink = createPubSubSink(
      sinkConfig(broker, { topic: place.topic, maxMessageBytes: 1024 }),
      createTestContext(),
    );
    after(() => sink.stop());
    const tag = runTag();
    const batch = [envelope(`${tag}-0`, "{}"), envelope(`${tag}-1`, new Uint8Array(2048)), envelope(`${tag}-2`, "{}")];
    const error = await sink.send(batch).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.deepEqual(
      failedItems(error).map(({ index, id, code }) => ({ index, id, code })),
      [{ index: 1, id: `${tag}-1`, code: "MESSAGE_TOO_LARGE" }],
    );
    assert.equal((error as HookyardError).retryable, false);
    const received = await place.read(2, 10_000);
    assert.deepEqual(received.map((m) => m.headers["ce-id"]).sort(), [`${tag}-0`, `${tag}-2`]);
    assert.equal(received[0]?.headers["x-trace"], "t-1");
    assert.equal(received[0]?.headers["ce-specversion"], "1.0");
  });

  it("learns the broker's request limit from a refusal, resends the refused events, fails only one too large alone", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    // Requests up to 8 MiB, over the emulator's 4 MiB gRPC receive limit: the first requests are refused.
    const sink = createPubSubSink(
      sinkConfig(broker, {
        topic: place.topic,
        maxMessageBytes: "8mb",
        batching: { maxBytes: "8mb", maxMessages: 100 },
        publishTimeout: "3s",
      }),
      createTestContext(),
    );
    after(() => sink.stop());
    const tag = runTag();
    const events = Array.from({ length: 30 }, (_, i) => envelope(`${tag}-${i}`, "p".repeat(200 * 1024)));
    const oversized = envelope(`${tag}-big`, "q".repeat(5 * 1024 * 1024));
    const error = await sink.send([...events.slice(0, 10), oversized, ...events.slice(10)]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const failed = failedItems(error);
    assert.deepEqual(
      failed.map(({ index, code }) => ({ index, code })),
      [{ index: 10, code: "MESSAGE_TOO_LARGE" }],
    );
    const reason = (failed[0] as unknown as { message: string }).message;
    const limits = sink.limits?.();
    assert.equal(limits?.maxMessageBytes, 4 * 1024 * 1024 - 64 * 1024, "the emulator's limit, less framing");
    assert.match(reason, new RegExp(`${sink.sizeOf?.(oversized)} bytes`), "names the event's size");
    assert.match(reason, new RegExp(`${limits?.maxMessageBytes} bytes`), "names the limit");
    const received = await place.read(30, 20_000);
    const ids = received.map((m) => m.headers["ce-id"]);
    assert.equal(new Set(ids).size, 30, "each event once");
    assert.deepEqual([...ids].sort(), events.map((e) => e.id).sort());
  });

  it("a failed ordering key does not block later sends of that key (resumePublishing)", async () => {
    const topic = uniqueName("late-topic");
    const client = adminClient(broker);
    after(async () => {
      await client
        .topic(topic)
        .delete()
        .catch(() => undefined);
      await client.close();
    });
    const sink = createPubSubSink(sinkConfig(broker, { topic }), createTestContext());
    after(() => sink.stop());
    const tag = runTag();
    const key = `order-${tag}`;
    const error = await sink.send([envelope(`${tag}-1`, "{}", key), envelope(`${tag}-2`, "{}", key)]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const failed = failedItems(error);
    assert.deepEqual(
      failed.map((item) => item.index),
      [0, 1],
    );
    assert.equal(failed[0]?.code, "RESOURCE_NOT_FOUND");

    const [created] = await client.createTopic(topic);
    const subscription = uniqueName("late-sub");
    await created.createSubscription(subscription, { enableMessageOrdering: true });
    after(() =>
      client
        .subscription(subscription)
        .delete()
        .catch(() => undefined),
    );
    await sink.send([envelope(`${tag}-1`, "{}", key), envelope(`${tag}-2`, "{}", key)]);
    const received = await readMessages(client, subscription, 2, 10_000);
    assert.deepEqual(
      received.map((m) => [m.headers["ce-id"], m.key]),
      [
        [`${tag}-1`, key],
        [`${tag}-2`, key],
      ],
    );
  });

  it("an ordered publish while Pub/Sub is away fails retryable, and its key publishes in order once it is back", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const [host = "", port = ""] = broker.emulatorHost.split(":");
    const proxy = await startTcpProxy({ host, port: Number(port) });
    after(() => proxy.close());
    const config = { topic: place.topic, emulatorHost: proxy.address, messageOrdering: true, publishTimeout: "2s" };
    const sink = createPubSubSink(sinkConfig(broker, config), createTestContext());
    after(() => sink.stop());
    const tag = runTag();
    const key = `order-${tag}`;
    const [first, second, third] = [1, 2, 3].map((n) => envelope(`${tag}-${n}`, "{}", key)) as [
      ReturnType<typeof envelope>,
      ReturnType<typeof envelope>,
      ReturnType<typeof envelope>,
    ];
    await sink.send([first]);

    await proxy.down();
    const error = await sink.send([second]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const failed = failedItems(error);
    assert.deepEqual(
      failed.map(({ index, code }) => ({ index, code })),
      [{ index: 0, code: "CONNECTION_FAILED" }],
    );
    assert.equal((error as HookyardError).retryable, true);

    await proxy.up();
    // As the runtime does: send again until it goes. A publish the client was still retrying when Pub/Sub came
    // back may fail the next one with it (same key); the key is resumed each time, so a later try goes through.
    let attempts = 0;
    for (;;) {
      attempts++;
      const outcome = await sink.send([second, third]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      if (outcome === undefined) break;
      assert.ok(attempts < 5, `the key is still refused after ${attempts} tries: ${String(outcome)}`);
    }
    const received = await place.read(3, 10_000);
    if (!received.some((m) => m.headers["ce-id"] === third.id)) received.push(...(await place.read(1, 10_000)));
    const order = [...new Set(received.map((m) => m.headers["ce-id"]))];
    assert.deepEqual(order, [first.id, second.id, third.id], "the key's events arrive in order (a duplicate is fine)");
  });

  it("check() names a missing topic, accepts it with create, and send creates it", async () => {
    const topic = uniqueName("check-topic");
    await assert.rejects(
      checkPubSubSink(sinkConfig(broker, { topic }), createTestContext()),
      (error: unknown) =>
        error instanceof HookyardError && error.code === "CONFIG_INVALID" && error.message.includes(topic),
    );
    await checkPubSubSink(sinkConfig(broker, { topic, create: true }), createTestContext());
    const sink = createPubSubSink(sinkConfig(broker, { topic, create: true }), createTestContext());
    await sink.send([envelope(`${runTag()}-1`, "{}")]);
    await sink.stop();
    await checkPubSubSink(sinkConfig(broker, { topic }), createTestContext());
    const client = adminClient(broker);
    await client.topic(topic).delete();
    await client.close();
  });

  it("refuses to send after stop()", async () => {
    const sink = createPubSubSink(sinkConfig(broker, { topic: uniqueName("stopped") }), createTestContext());
    await sink.stop();
    await assert.rejects(sink.send([envelope("x", "{}")]), /stopped/);
  });
});
