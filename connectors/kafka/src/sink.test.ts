import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, type Envelope, HookyardError } from "@hookyard/core";
import { captureLogs, createTestContext, runTag } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { checkKafkaSink } from "./check.js";
import { createKafkaSink } from "./sink.js";
import { createKafkaTestClients, sinkConfig } from "./test-kafka.fixture.js";

const clients = createKafkaTestClients();
after(() => clients.close());

const event = (id: string, type: string, data: string | Uint8Array = "{}") =>
  createEnvelope({ id, type, source: "ingress:test", data });

/** A ~100 KB JSON payload like issue 18's Stripe events (distinct per id, so nothing can be mistaken for another). */
const bigJson = (id: string, bytes: number) =>
  JSON.stringify({ id, object: "event", padding: "x".repeat(bytes - 40 - id.length) });

interface FailedItem {
  index: number;
  id: string;
  code: string;
  message: string;
  retryable: boolean;
}

function failedItems(error: unknown): FailedItem[] {
  assert.ok(error instanceof HookyardError, `a HookyardError, not ${String(error)}`);
  assert.equal(error.code, "SINK_PARTIAL_FAILURE");
  return error.details.failed as FailedItem[];
}

/** Every id in `ids` is on the topic exactly once, and the topic holds nothing else. */
async function assertExactlyOnce(topic: string, ids: readonly string[]): Promise<void> {
  const received = await clients.readBack(topic, ids.length, 30_000);
  const seen = received.map((message) => message.headers["ce-id"]);
  assert.deepEqual([...seen].sort(), [...ids].sort(), "each event arrived, none twice");
  assert.equal(await clients.recordCount(topic), ids.length, "the topic holds no other record");
}

describe("kafka sink", () => {
  it("names the failed items of a partial failure and publishes the rest", async () => {
    const tag = runTag();
    const base = uniqueName("sink");
    const good = await clients.createNamedTopic(`${base}.good`);
    // {type} picks the topic: "good" exists, "absent" does not (auto-creation is off), one event is too large.
    const sink = createKafkaSink(
      sinkConfig({ topic: `${base}.{type}`, maxMessageBytes: 1024, retries: 1 }),
      createTestContext(),
    );
    const batch = [
      event(`${tag}-0`, "good"),
      event(`${tag}-1`, "absent"),
      event(`${tag}-2`, "good", new Uint8Array(2048)),
      event(`${tag}-3`, "good"),
    ];
    try {
      const error = await sink.send(batch).then(
        () => assert.fail("the send must fail"),
        (reason: unknown) => reason,
      );
      assert.equal((error as HookyardError).retryable, false, "an oversize event is never retryable");
      const failed = failedItems(error);
      assert.deepEqual(
        failed.map((f) => [f.index, f.id]),
        [
          [1, `${tag}-1`],
          [2, `${tag}-2`],
        ],
      );
      assert.equal(failed[0]?.code, "RESOURCE_NOT_FOUND");
      assert.equal(failed[1]?.code, "MESSAGE_TOO_LARGE");
      assert.match(failed[1]?.message ?? "", /is 2\d{3} bytes .* over the 1024-byte limit .*maxMessageBytes/);
      await assertExactlyOnce(good, [`${tag}-0`, `${tag}-3`]);
    } finally {
      await sink.stop();
      await clients.deleteTopic(good);
    }
  });

  it("30 concurrent ~100 KB events all arrive once; one over the topic's max.message.bytes fails alone", async () => {
    const tag = runTag();
    // The topic's own limit (read with describe-configs) is below the sink's maxMessageBytes: it is the one applied.
    const topic = await clients.createTopic("sink-big", 3, { "max.message.bytes": "262144" });
    const sink = createKafkaSink(sinkConfig({ topic, maxMessageBytes: 4 * 1024 * 1024 }), createTestContext());
    const normal = Array.from({ length: 30 }, (_, i) => `${tag}-${i}`);
    const envelopes = normal.map((id) => event(id, "big", bigJson(id, 100_000)));
    const oversize = event(`${tag}-huge`, "big", bigJson(`${tag}-huge`, 300_000));
    try {
      // Two batches in flight at once, as the runtime's dispatcher sends them; the oversize event sits in the first.
      const [first, second] = await Promise.allSettled([
        sink.send([...envelopes.slice(0, 16), oversize]),
        sink.send(envelopes.slice(16)),
      ]);
      assert.equal(second.status, "fulfilled", "a batch without the oversize event is not punished for it");
      assert.equal(first.status, "rejected");
      const failed = failedItems(first.status === "rejected" ? first.reason : undefined);
      assert.deepEqual(
        failed.map((f) => [f.index, f.id, f.code, f.retryable]),
        [[16, oversize.id, "MESSAGE_TOO_LARGE", false]],
      );
      assert.match(
        failed[0]?.message ?? "",
        /is 300\d{3} bytes .* over the 262144-byte limit of topic .*max\.message\.bytes/,
      );
      await assertExactlyOnce(topic, normal);
    } finally {
      await sink.stop();
      await clients.deleteTopic(topic);
    }
  });

  it("a batch the broker refuses as too large is split and sent again until only the oversize event fails", async () => {
    const tag = runTag();
    const topic = await clients.createTopic("sink-split");
    const sink = createKafkaSink(sinkConfig({ topic, maxMessageBytes: 4 * 1024 * 1024 }), createTestContext());
    try {
      // The sink reads the topic's limit (Kafka's default, ~1 MiB) on its first send and trusts it for a while...
      await sink.send([event(`${tag}-warm`, "big")]);
      // ...then the limit shrinks behind its back: its ~1 MiB batches are now refused by the broker.
      await clients.setTopicConfig(topic, "max.message.bytes", "262144");
      const normal = Array.from({ length: 30 }, (_, i) => `${tag}-${i}`);
      const oversize = event(`${tag}-huge`, "big", bigJson(`${tag}-huge`, 300_000));
      const batch = [...normal.slice(0, 20).map((id) => event(id, "big", bigJson(id, 100_000))), oversize];
      batch.push(...normal.slice(20).map((id) => event(id, "big", bigJson(id, 100_000))));
      const error = await sink.send(batch).then(
        () => assert.fail("the oversize event must fail"),
        (reason: unknown) => reason,
      );
      const failed = failedItems(error);
      assert.deepEqual(
        failed.map((f) => [f.index, f.id, f.code, f.retryable]),
        [[20, oversize.id, "MESSAGE_TOO_LARGE", false]],
      );
      assert.match(failed[0]?.message ?? "", /is 300\d{3} bytes/);
      await assertExactlyOnce(topic, [`${tag}-warm`, ...normal]);
    } finally {
      await sink.stop();
      await clients.deleteTopic(topic);
    }
  });

  it("a batch-level transient failure fails every event retryably, never permanently", async () => {
    const tag = runTag();
    // Nothing listens on port 1: the whole batch fails to reach Kafka.
    const config = sinkConfig({ topic: "any", brokers: ["127.0.0.1:1"], connectionTimeout: 200, retries: 0 });
    const sink = createKafkaSink({ ...config, requestTimeout: 500 }, createTestContext());
    const batch: Envelope[] = [0, 1, 2].map((i) => event(`${tag}-${i}`, "t"));
    try {
      const error = await sink.send(batch).then(
        () => assert.fail("nothing can be published"),
        (reason: unknown) => reason,
      );
      assert.equal((error as HookyardError).retryable, true);
      const failed = failedItems(error);
      assert.deepEqual(
        failed.map((f) => [f.index, f.retryable]),
        [
          [0, true],
          [1, true],
          [2, true],
        ],
      );
    } finally {
      await sink.stop();
    }
  });

  it("logs no warning or error on its first write to a topic the broker creates on the fly", async () => {
    const tag = runTag();
    const base = uniqueName("sink-auto");
    const logs = captureLogs();
    const sink = createKafkaSink(sinkConfig({ topic: `${base}.{type}`, allowAutoTopicCreation: true }), {
      ...createTestContext(),
      logger: logs.logger,
    });
    try {
      await sink.send([event(`${tag}-0`, "created"), event(`${tag}-1`, "created")]);
      await assertExactlyOnce(`${base}.created`, [`${tag}-0`, `${tag}-1`]);
    } finally {
      await sink.stop();
      await clients.deleteTopic(`${base}.created`);
    }
    assert.deepEqual(
      logs.lines.filter((line) => line.level >= 40),
      [],
      "no warn (40) or error (50) lines",
    );
  });

  it("check() reports a missing constant topic; an unknown template placeholder is a config error", async () => {
    const topic = uniqueName("sink-missing");
    await assert.rejects(checkKafkaSink(sinkConfig({ topic }), createTestContext()), { code: "RESOURCE_NOT_FOUND" });
    assert.throws(() => createKafkaSink(sinkConfig({ topic: "x.{nope}" }), createTestContext()), {
      code: "CONFIG_INVALID",
    });
  });

  it("declares its limits: maxMessageBytes until the topic's own smaller limit is read, then that", async () => {
    const topic = await clients.createTopic("sink-limits", 1, { "max.message.bytes": "200000" });
    const sink = createKafkaSink(sinkConfig({ topic, maxBatchMessages: 50 }), createTestContext());
    try {
      assert.deepEqual(sink.limits(), { maxMessageBytes: 1048576, maxBatchMessages: 50, maxBatchBytes: 1048576 });
      const probe = event(`${runTag()}-probe`, "t", "x".repeat(1000));
      assert.ok(sink.sizeOf(probe) > 1000 + 61, "sizeOf counts the record batch: payload, headers and framing");
      await sink.send([probe]);
      assert.deepEqual(sink.limits(), { maxMessageBytes: 200000, maxBatchMessages: 50, maxBatchBytes: 200000 });
    } finally {
      await sink.stop();
      await clients.deleteTopic(topic);
    }
  });
});
