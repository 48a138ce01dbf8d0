import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEnvelope, HookyardError } from "@hookyard/core";
import { createTestContext, runTag } from "@hookyard/core/testing";
import { privateRabbitMq, uniqueName } from "@hookyard/test-brokers";
import { connect } from "amqplib";
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

  it("over the broker's max_message_size: only that event fails, naming both sizes; the limit is learned", {
    timeout: 180_000,
  }, async () => {
    // A node of the test's own: the shared broker keeps RabbitMQ's default max_message_size (128 MiB).
    const node = await privateRabbitMq(["max_message_size = 1048576"]);
    const model = await connect(node.url);
    const channel = await model.createChannel();
    const queue = uniqueName("sink-max-size");
    await channel.assertQueue(queue, { durable: false });
    // The sink's own limit (16 MiB by default) is above the broker's: RabbitMQ refuses the message itself.
    const sink = createAmqpSink(sinkConfig({ url: node.url, exchange: "", routingKey: queue }), createTestContext());
    try {
      const tag = runTag();
      const events = Array.from({ length: 30 }, (_, i) =>
        createEnvelope({ id: `${tag}-${i}`, type: "t", source: "ingress:test", data: "r".repeat(100 * 1024) }),
      );
      const oversized = createEnvelope({
        id: `${tag}-big`,
        type: "t",
        source: "ingress:test",
        data: "s".repeat(1536 * 1024),
      });
      const batch = [...events.slice(0, 15), oversized, ...events.slice(15)];
      const error = await sink.send(batch).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof HookyardError && error.code === "SINK_PARTIAL_FAILURE", String(error));
      const failed = error.details.failed as { index: number; code: string; message: string; retryable: boolean }[];
      // The oversized event went alone, as a probe on a channel of its own: no neighbour was on the channel
      // RabbitMQ closed, so none failed (and none was routed, unconfirmed, then sent again as a duplicate).
      assert.deepEqual(
        failed.map((item) => [item.index, item.code, item.retryable]),
        [[15, "MESSAGE_TOO_LARGE", false]],
        "only the oversized event fails, for good",
      );
      assert.match(failed[0]?.message ?? "", /1572864 bytes, over the broker's max_message_size of 1048576 bytes/);
      assert.equal(sink.limits?.().maxMessageBytes, 1_048_576, "the broker's limit is learned");
      const received: string[] = [];
      while (received.length < 30) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        received.push(String(message.properties.headers?.["ce-id"]));
      }
      assert.equal(new Set(received).size, 30, "each event once");
      assert.deepEqual([...received].sort(), events.map((e) => e.id).sort());
      assert.equal(await channel.get(queue, { noAck: true }), false, "nothing more (the oversized one never arrived)");
    } finally {
      await sink.stop();
      await model.close().catch(() => undefined);
      await node.stop();
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
