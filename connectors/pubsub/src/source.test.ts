import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
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
import { privatePubsubFake, uniqueName } from "@hookyard/test-brokers";
import { checkPubSubSource } from "./check.js";
import { createPubSubSource } from "./source.js";
import { adminClient, createPlace, pubsubTestBroker, sourceConfig } from "./test-harness.js";

const broker = pubsubTestBroker();
const encoder = new TextEncoder();

describe("pubsub source", () => {
  it("check() passes for an existing subscription and names a missing one", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    await checkPubSubSource(sourceConfig(broker, { subscription: place.subscription }), createTestContext());
    const missing = uniqueName("missing-sub");
    await assert.rejects(
      checkPubSubSource(sourceConfig(broker, { subscription: missing }), createTestContext()),
      (error: unknown) =>
        error instanceof HookyardError &&
        error.code === "CONFIG_INVALID" &&
        error.message.includes(`projects/${broker.projectId}/subscriptions/${missing} does not exist`),
    );
  });

  it("start() rejects with a clear error when the subscription is missing", async () => {
    const missing = uniqueName("missing-sub");
    const source = createPubSubSource(sourceConfig(broker, { subscription: missing }), createTestSourceContext());
    await assert.rejects(source.start(createRecordingDeliver().deliver), /does not exist/);
    await source.stop();
  });

  it("create.enabled makes the topic and an ordered subscription, never without it", async () => {
    const topic = uniqueName("created-topic");
    const subscription = uniqueName("created-sub");
    const client = adminClient(broker);
    after(async () => {
      await client
        .subscription(subscription)
        .delete()
        .catch(() => undefined);
      await client
        .topic(topic)
        .delete()
        .catch(() => undefined);
      await client.close();
    });
    const source = createPubSubSource(
      sourceConfig(broker, { subscription, create: { enabled: true, topic } }),
      createTestSourceContext(),
    );
    await source.start(createRecordingDeliver().deliver);
    await source.stop();
    const [metadata] = await client.subscription(subscription).getMetadata();
    assert.equal(metadata.enableMessageOrdering, true);
    assert.equal(metadata.topic, `projects/${broker.projectId}/topics/${topic}`);
  });

  it("uses the broker's id, ordering key and publish time, and a per-subscription idempotency key", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const [messageId] = await place.publish([{ data: encoder.encode("{}"), headers: { "x-a": "1" }, key: "k-1" }]);
    const ctx = createTestSourceContext({ mapping: { type: { value: "broker.defaults" } } });
    const recorder = createRecordingDeliver();
    const source = createPubSubSource(sourceConfig(broker, { subscription: place.subscription }), ctx);
    await source.start(recorder.deliver);
    await recorder.waitForResolved(1, 10_000);
    await source.stop();
    const envelope = recorder.resolved[0];
    assert.equal(envelope?.id, messageId);
    assert.equal(envelope?.key, "k-1");
    assert.equal(envelope?.source, "pubsub:test");
    assert.equal(
      envelope?.idempotencyKey,
      `pubsub:projects/${broker.projectId}/subscriptions/${place.subscription}:${messageId}`,
    );
    assert.ok(Math.abs(Date.parse(envelope?.time ?? "") - Date.now()) < 60_000, "publish time");
  });

  it("holds later messages of a key behind a nacked one until it is redelivered", async () => {
    const place = await createPlace(broker);
    after(() => place.cleanup());
    const tag = runTag();
    const messages = [1, 2, 3, 4].map((n) => conformanceMessage(tag, n, { key: `k-${tag}` }));
    await place.publish(messages);
    const recorder = createRecordingDeliver((envelope, attempt) => {
      if (envelope.id === `${tag}-2` && attempt < 3) throw connectionError("redis is down");
    });
    const source = createPubSubSource(
      sourceConfig(broker, { subscription: place.subscription }),
      createTestSourceContext(),
    );
    await source.start(recorder.deliver);
    await recorder.waitForResolved(4, 15_000);
    await source.stop();
    assert.deepEqual(
      recorder.resolved.map((envelope) => envelope.id),
      [1, 2, 3, 4].map((n) => `${tag}-${n}`),
    );
    assert.equal(recorder.maxOutstandingPerKey, 1);
    assert.equal(recorder.attempts(`${tag}-2`), 3);
  });

  it("logs stream errors and resumes by itself after the broker restarts", async () => {
    const fake = await privatePubsubFake();
    await fake.start();
    after(() => fake.stop());
    const privateBroker = { projectId: "restart-test", emulatorHost: fake.host };
    const makePlace = async (topic: string, subscription: string) => {
      const client = adminClient(privateBroker);
      const [created] = await client.createTopic(topic);
      await created.createSubscription(subscription, { enableMessageOrdering: true });
      return client;
    };
    const topic = uniqueName("restart-topic");
    const subscription = uniqueName("restart-sub");
    const first = await makePlace(topic, subscription);
    const logs = captureLogs();
    const ctx = { ...createTestSourceContext(), logger: logs.logger };
    const recorder = createRecordingDeliver();
    const source = createPubSubSource(sourceConfig(privateBroker, { subscription }), ctx);
    after(() => source.stop());
    await source.start(recorder.deliver);
    const tag = runTag();
    const publish = (client: typeof first, n: number) =>
      client.topic(topic).publishMessage({ data: Buffer.from("{}"), attributes: conformanceMessage(tag, n).headers });
    await publish(first, 1);
    await recorder.waitForResolvedId(`${tag}-1`, 10_000);
    await first.close();

    // pstest keeps nothing across a restart: the subscriber first loses its stream (the client retries), then
    // finds no subscription and gives up; the source reopens it with backoff until an operator recreates it.
    await fake.restart();
    const logged = (text: string) =>
      waitUntil(`a log line "${text}"`, () => (logs.lines.some((line) => line.msg === text) ? true : undefined));
    await logged("pubsub stream interrupted; retrying");
    await logged("pubsub subscriber error");
    await logged("pubsub subscriber closed; reopening");
    const second = await makePlace(topic, subscription);
    after(() => second.close());
    await publish(second, 2);
    await recorder.waitForResolvedId(`${tag}-2`, 30_000);
    await source.stop();
  });
});
