import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createTestContext, runTag } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
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
