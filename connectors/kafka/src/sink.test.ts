import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createTestContext, runTag } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { checkKafkaSink } from "./check.js";
import { createKafkaSink } from "./sink.js";
import { createKafkaTestClients, sinkConfig } from "./test-kafka.fixture.js";

const clients = createKafkaTestClients();
after(() => clients.close());

const event = (id: string, type: string, data: string | Uint8Array = "{}") =>
  createEnvelope({ id, type, source: "ingress:test", data });

describe("kafka sink", () => {
  it("names the failed items of a partial failure and publishes the rest", async () => {
    const tag = runTag();
    const base = uniqueName("sink");
    const good = `${base}.good`;
    await (await clients.admin()).createTopics({ waitForLeaders: true, topics: [{ topic: good }] });
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
      await assert.rejects(sink.send(batch), (error: unknown) => {
        assert.ok(error instanceof HookyardError);
        assert.equal(error.code, "SINK_PARTIAL_FAILURE");
        assert.equal(error.retryable, false, "an oversize event is never retryable");
        const failed = error.details.failed as { index: number; id: string; code: string }[];
        assert.deepEqual(
          failed.map((f) => [f.index, f.id]),
          [
            [1, `${tag}-1`],
            [2, `${tag}-2`],
          ],
        );
        assert.equal(failed[1]?.code, "MESSAGE_TOO_LARGE");
        return true;
      });
      const received = await clients.readBack(good, 2, 15_000);
      assert.deepEqual(received.map((m) => m.headers["ce-id"]).sort(), [`${tag}-0`, `${tag}-3`]);
    } finally {
      await sink.stop();
      await clients.deleteTopic(good);
    }
  });

  it("check() reports a missing constant topic; an unknown template placeholder is a config error", async () => {
    const topic = uniqueName("sink-missing");
    await assert.rejects(checkKafkaSink(sinkConfig({ topic }), createTestContext()), { code: "RESOURCE_NOT_FOUND" });
    assert.throws(() => createKafkaSink(sinkConfig({ topic: "x.{nope}" }), createTestContext()), {
      code: "CONFIG_INVALID",
    });
  });
});
