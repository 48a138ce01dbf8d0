import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createTestContext, runTag } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { checkAmqpSink } from "./check.js";
import { createAmqpSink } from "./sink.js";
import { createAmqpTestClients, sinkConfig } from "./test-amqp.fixture.js";

const clients = createAmqpTestClients();
after(() => clients.close());

const event = (id: string, type: string) => createEnvelope({ id, type, source: "ingress:test", data: "{}" });

describe("rabbitmq sink", () => {
  it("treats an unroutable event as a failure (mandatory) and names it; the rest is confirmed", async () => {
    const tag = runTag();
    const exchange = uniqueName("sink-ex");
    const channel = await clients.channel();
    await channel.assertExchange(exchange, "direct", { durable: false });
    const queue = await clients.createQueue("sink-bound");
    await channel.bindQueue(queue, exchange, "good");
    const sink = createAmqpSink(sinkConfig({ exchange, routingKey: "{type}" }), createTestContext());
    try {
      await assert.rejects(
        sink.send([event(`${tag}-0`, "good"), event(`${tag}-1`, "nobody.listens"), event(`${tag}-2`, "good")]),
        (error: unknown) => {
          assert.ok(error instanceof HookyardError);
          assert.equal(error.code, "SINK_PARTIAL_FAILURE");
          assert.equal(error.retryable, false);
          const failed = error.details.failed as { index: number; id: string; code: string; message: string }[];
          assert.deepEqual(
            failed.map((f) => [f.index, f.id, f.code]),
            [[1, `${tag}-1`, "UNROUTABLE"]],
          );
          assert.match(failed[0]?.message ?? "", /nobody\.listens/);
          return true;
        },
      );
      const received = await clients.readBack(queue, 2, 10_000);
      assert.deepEqual(
        received.map((m) => m.headers["ce-id"]),
        [`${tag}-0`, `${tag}-2`],
      );
      // The sink keeps working after a failure.
      await sink.send([event(`${tag}-3`, "good")]);
      assert.equal((await clients.readBack(queue, 1, 10_000))[0]?.headers["ce-id"], `${tag}-3`);
    } finally {
      await sink.stop();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await clients.deleteQueue(queue);
    }
  });

  it("fails every event, retryably, when the exchange does not exist, and recovers once it does", async () => {
    const tag = runTag();
    const exchange = uniqueName("late-ex");
    const sink = createAmqpSink(sinkConfig({ exchange, routingKey: "k" }), createTestContext());
    await assert.rejects(checkAmqpSink(sinkConfig({ exchange }), createTestContext()), { code: "RESOURCE_NOT_FOUND" });
    try {
      await assert.rejects(sink.send([event(`${tag}-0`, "t"), event(`${tag}-1`, "t")]), (error: unknown) => {
        assert.ok(error instanceof HookyardError);
        assert.equal(error.code, "SINK_PARTIAL_FAILURE");
        assert.equal(error.retryable, true);
        assert.equal((error.details.failed as unknown[]).length, 2);
        return true;
      });
      const channel = await clients.channel();
      await channel.assertExchange(exchange, "direct", { durable: false });
      const queue = await clients.createQueue("late-bound");
      await channel.bindQueue(queue, exchange, "k");
      await sink.send([event(`${tag}-2`, "t")]);
      assert.equal((await clients.readBack(queue, 1, 10_000))[0]?.headers["ce-id"], `${tag}-2`);
      await clients.deleteQueue(queue);
      await channel.deleteExchange(exchange);
    } finally {
      await sink.stop();
    }
  });
});
