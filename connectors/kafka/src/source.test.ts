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
import { uniqueName } from "@hookyard/test-brokers";
import { checkKafkaSource } from "./check.js";
import { createKafkaSource } from "./source.js";
import { createKafkaTestClients, testSourceConfig } from "./test-kafka.fixture.js";

const clients = createKafkaTestClients();
after(() => clients.close());

const committedOffsets = (groupId: string, topic: string) => clients.committedOffsets(groupId, topic);

describe("kafka source", () => {
  it("a message that fails while 100 later ones succeed is never skipped across a restart", async () => {
    const topic = await clients.createTopic("skip");
    const groupId = uniqueName("skip-group");
    const tag = runTag();
    const messages = Array.from({ length: 111 }, (_, i) => conformanceMessage(tag, i));
    const failing = `${tag}-10`; // offset 10
    await clients.publish(topic, messages);

    const first = createKafkaSource(testSourceConfig(topic, groupId, { maxInFlight: 32 }), createTestSourceContext());
    const recorder = createRecordingDeliver((envelope) => {
      if (envelope.id === failing) throw connectionError("test: redis is down");
    });
    try {
      await first.start(recorder.deliver);
      await recorder.waitForResolved(110, 20_000);
      await waitUntil("the failing message to be retried in place", () =>
        recorder.attempts(failing) >= 3 ? true : undefined,
      );
    } finally {
      await first.stop();
    }
    assert.equal(recorder.resolved.length, 110, "every other message succeeded");
    const committed = await committedOffsets(groupId, topic);
    assert.equal(committed[0], "10", "the commit stops at the message that is not durable");

    const second = createKafkaSource(testSourceConfig(topic, groupId), createTestSourceContext());
    const again = createRecordingDeliver();
    try {
      try {
        await second.start(again.deliver);
        await again.waitForResolvedId(failing, 20_000);
        assert.equal(again.calls[0]?.envelope.id, failing, "the new instance starts at the failed message");
        assert.equal(again.calls[0]?.envelope.idempotencyKey, `kafka:${groupId}:${topic}:0:10`);
        // The ones after it are delivered again (at-least-once); their dedup keys are the same as before.
        await again.waitForResolved(101, 20_000);
        const first = recorder.calls.find((call) => call.envelope.id === `${tag}-50`)?.envelope.idempotencyKey;
        const redelivered = again.calls.find((call) => call.envelope.id === `${tag}-50`)?.envelope.idempotencyKey;
        assert.equal(redelivered, first, "a redelivered message keeps its dedup key");
      } finally {
        await second.stop();
      }
      // Read while the topic still exists: stop() committed everything the second instance made durable.
      assert.deepEqual(await committedOffsets(groupId, topic), { 0: "111" });
    } finally {
      await clients.deleteTopic(topic);
    }
  });

  it("commits only contiguous offsets when later messages finish first", async () => {
    const topic = await clients.createTopic("contig");
    const groupId = uniqueName("contig-group");
    const tag = runTag();
    await clients.publish(
      topic,
      Array.from({ length: 20 }, (_, i) => conformanceMessage(tag, i)),
    );
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const recorder = createRecordingDeliver(async (envelope) => {
      if (envelope.id === `${tag}-3`) await gate;
    });
    const source = createKafkaSource(testSourceConfig(topic, groupId, { maxInFlight: 64 }), createTestSourceContext());
    try {
      await source.start(recorder.deliver);
      await recorder.waitForResolved(19, 20_000);
      // Offsets 0..2 are done; 3 is not; 4..19 are done: only 3 may be committed (i.e. "next to read is 3").
      await waitUntil("a commit of the contiguous prefix", async () =>
        (await committedOffsets(groupId, topic))[0] === "3" ? true : undefined,
      );
      assert.equal((await committedOffsets(groupId, topic))[0], "3");
      release();
      await waitUntil("the commit after the slow message", async () =>
        (await committedOffsets(groupId, topic))[0] === "20" ? true : undefined,
      );
    } finally {
      release();
      await source.stop();
      await clients.deleteTopic(topic);
    }
  });

  it("processes partitions concurrently and keeps each key in order across partitions", async () => {
    const topic = await clients.createTopic("parts", 3);
    const groupId = uniqueName("parts-group");
    const tag = runTag();
    const keys = Array.from({ length: 9 }, (_, i) => `k${i}`);
    const messages = Array.from({ length: 180 }, (_, i) =>
      conformanceMessage(tag, i, { key: keys[i % keys.length] as string, headers: { "x-n": String(i) } }),
    );
    await clients.publish(topic, messages);
    const recorder = createRecordingDeliver(() => new Promise((resolve) => setImmediate(resolve)));
    const source = createKafkaSource(testSourceConfig(topic, groupId, { maxInFlight: 16 }), createTestSourceContext());
    try {
      await source.start(recorder.deliver);
      await recorder.waitForResolved(messages.length, 20_000);
    } finally {
      await source.stop();
      await clients.deleteTopic(topic);
    }
    assert.ok(recorder.maxOutstanding <= 16);
    assert.ok(recorder.maxOutstanding > 1, "messages are delivered concurrently");
    assert.equal(recorder.maxOutstandingPerKey, 1);
    for (const key of keys) {
      const order = recorder.calls.filter((c) => c.envelope.key === key).map((c) => Number(c.envelope.headers["x-n"]));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `order of key ${key}`,
      );
    }
  });

  it("a second member joining mid-stream gets partitions; every message is delivered and committed", async () => {
    const topic = await clients.createTopic("rebalance", 4);
    const groupId = uniqueName("rebalance-group");
    const tag = runTag();
    const count = 400;
    await clients.publish(
      topic,
      Array.from({ length: count }, (_, i) => conformanceMessage(tag, i, { key: `k${i % 16}` })),
    );
    // The first member holds its deliveries until the second has joined: a member with work in flight must not
    // keep the group from rebalancing (the driver heartbeats in the background).
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = createRecordingDeliver(() => gate);
    const second = createRecordingDeliver();
    const a = createKafkaSource(testSourceConfig(topic, groupId, { maxInFlight: 8 }), createTestSourceContext());
    const b = createKafkaSource(testSourceConfig(topic, groupId, { maxInFlight: 8 }), createTestSourceContext());
    try {
      await a.start(first.deliver);
      await waitUntil("the first member to hold deliveries", () => (first.calls.length > 0 ? true : undefined));
      await b.start(second.deliver);
      release();
      const delivered = () => new Set([...first.resolved, ...second.resolved].map((e) => e.id));
      // The first member delivers what it fetched before the rebalance (nothing fetched is dropped); the second
      // starts its partitions at their committed offsets (none: the first committed nothing while held).
      await waitUntil("every message delivered, the second member consuming partitions of its own", () =>
        delivered().size === count && second.resolved.length > 0 ? true : undefined,
      );
    } finally {
      release();
      await Promise.all([a.stop(), b.stop()]);
    }
    try {
      const committed = await committedOffsets(groupId, topic);
      const total = Object.values(committed).reduce((sum, offset) => sum + Number(offset), 0);
      assert.equal(
        total,
        await clients.recordCount(topic),
        `every partition committed to its end: ${JSON.stringify(committed)}`,
      );
    } finally {
      await clients.deleteTopic(topic);
    }
  });

  it("logs no warning or error on a normal start, consumption and stop", async () => {
    const topic = await clients.createTopic("quiet", 2);
    const groupId = uniqueName("quiet-group");
    const tag = runTag();
    await clients.publish(
      topic,
      Array.from({ length: 20 }, (_, i) => conformanceMessage(tag, i)),
    );
    const logs = captureLogs();
    const recorder = createRecordingDeliver();
    const source = createKafkaSource(testSourceConfig(topic, groupId), {
      ...createTestSourceContext(),
      logger: logs.logger,
    });
    try {
      await source.start(recorder.deliver);
      await recorder.waitForResolved(20, 20_000);
    } finally {
      await source.stop();
      await clients.deleteTopic(topic);
    }
    assert.ok(
      logs.lines.some((line) => line.msg === "kafka consumer joined its group"),
      "the join is logged",
    );
    assert.deepEqual(
      logs.lines.filter((line) => line.level >= 40),
      [],
      "no warn (40) or error (50) lines",
    );
  });

  it("stop() during start() leaves nothing running", async () => {
    const topic = await clients.createTopic("early-stop");
    const recorder = createRecordingDeliver();
    const source = createKafkaSource(testSourceConfig(topic, uniqueName("g")), createTestSourceContext());
    const started = source.start(recorder.deliver).then(
      () => "started",
      (error: unknown) => (error as HookyardError).code,
    );
    await source.stop();
    assert.match(await started, /^(started|SOURCE_STOPPED)$/);
    await clients.publish(topic, [conformanceMessage(runTag(), 1)]);
    await source.stop();
    assert.equal(recorder.calls.length, 0);
    await clients.deleteTopic(topic);
  });

  it("refuses to start on a missing topic, and check() names it", async () => {
    const topic = uniqueName("missing");
    const config = testSourceConfig(topic, uniqueName("g"));
    await assert.rejects(checkKafkaSource(config, createTestContext()), (error: unknown) => {
      assert.ok(error instanceof HookyardError);
      assert.equal(error.code, "RESOURCE_NOT_FOUND");
      assert.match(error.message, new RegExp(topic));
      return true;
    });
    const source = createKafkaSource(config, createTestSourceContext());
    await assert.rejects(
      source.start(async () => undefined),
      { code: "RESOURCE_NOT_FOUND" },
    );
    await source.stop();
  });

  it("creates a missing topic only when createTopics.enabled", async () => {
    const topic = uniqueName("created");
    const groupId = uniqueName("g");
    const source = createKafkaSource(
      testSourceConfig(topic, groupId, { createTopics: { enabled: true, partitions: 2, replicationFactor: 1 } }),
      createTestSourceContext(),
    );
    const recorder = createRecordingDeliver();
    try {
      await source.start(recorder.deliver);
      assert.equal(await clients.partitionCount(topic), 2);
      await checkKafkaSource(testSourceConfig(topic, groupId), createTestContext());
    } finally {
      await source.stop();
      await clients.deleteTopic(topic);
    }
  });

  it("reports unreachable brokers as a retryable connection error", async () => {
    const config = testSourceConfig("any", "g", { brokers: ["127.0.0.1:1"], connectionTimeout: 200 });
    const quick = { ...config, requestTimeout: 500 };
    await assert.rejects(checkKafkaSource(quick, createTestContext()), (error: unknown) => {
      assert.ok(error instanceof HookyardError);
      assert.equal(error.retryable, true);
      assert.match(error.message, /cannot reach Kafka/);
      return true;
    });
  });
});
