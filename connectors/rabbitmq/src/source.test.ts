import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { HookyardError, permanentError } from "@hookyard/core";
import {
  conformanceMessage,
  createRecordingDeliver,
  createTestContext,
  createTestSourceContext,
  POISON_TYPE,
  runTag,
  waitUntil,
} from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { checkAmqpSource } from "./check.js";
import { createAmqpSource } from "./source.js";
import { createAmqpTestClients, sourceConfig } from "./test-amqp.fixture.js";

const run = promisify(execFile);
const clients = createAmqpTestClients();
after(() => clients.close());

/** Closes, from the broker's side, the connection whose client properties mention `marker`. */
async function closeConnectionsMentioning(marker: string): Promise<number> {
  const { stdout } = await run("/usr/sbin/rabbitmqctl", ["-q", "list_connections", "pid", "client_properties"]);
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(marker))
    .map((line) => line.split("\t")[0] ?? "")
    .filter(Boolean);
  for (const pid of pids) await run("/usr/sbin/rabbitmqctl", ["-q", "close_connection", pid, "hookyard test"]);
  return pids.length;
}

describe("rabbitmq source", () => {
  it("with poison: reject, dead-letters in Hookyard and rejects to the queue's dead-letter exchange", async () => {
    const dlq = await clients.createQueue("dlq");
    const queue = await clients.createQueue("poison", {
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": dlq,
    });
    const tag = runTag();
    await clients.publish(queue, [conformanceMessage(tag, 1, { type: POISON_TYPE }), conformanceMessage(tag, 2)]);
    const ctx = createTestSourceContext();
    const recorder = createRecordingDeliver((envelope) => {
      if (envelope.type === POISON_TYPE) throw permanentError("test: poison");
    });
    const source = createAmqpSource(sourceConfig(queue, { poison: "reject" }), ctx);
    try {
      await source.start(recorder.deliver);
      await recorder.waitForResolvedId(`${tag}-2`);
      await waitUntil("the dead letter", () => (ctx.deadLetters.length === 1 ? true : undefined));
      const [dead] = await clients.readBack(dlq, 1, 10_000);
      assert.equal(dead?.headers["ce-id"], `${tag}-1`);
      assert.match(dead?.headers["x-death"] ?? "", /rejected/);
    } finally {
      await source.stop();
      await clients.deleteQueue(queue);
      await clients.deleteQueue(dlq);
    }
  });

  it("reconnects by itself after the broker closes its connection, losing nothing", async () => {
    const queue = await clients.createQueue("reconnect");
    const tag = runTag();
    const sourceId = uniqueName("reconnect");
    const recorder = createRecordingDeliver();
    const source = createAmqpSource(sourceConfig(queue), createTestSourceContext({ sourceId }));
    try {
      await source.start(recorder.deliver);
      await clients.publish(
        queue,
        [1, 2, 3].map((n) => conformanceMessage(tag, n)),
      );
      await recorder.waitForResolved(3);
      assert.equal(await closeConnectionsMentioning(sourceId), 1, "the source's connection was found and closed");
      await clients.publish(
        queue,
        [4, 5, 6].map((n) => conformanceMessage(tag, n)),
      );
      for (const n of [4, 5, 6]) await recorder.waitForResolvedId(`${tag}-${n}`, 20_000);
    } finally {
      await source.stop();
      await clients.deleteQueue(queue);
    }
  });

  it("acks past a message still in flight (coalesced acks never fill the prefetch window), and stop() flushes", async () => {
    const queue = await clients.createQueue("ack-gap");
    const tag = runTag();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const recorder = createRecordingDeliver(async (envelope) => {
      if (envelope.id === `${tag}-1`) await held;
    });
    const source = createAmqpSource(sourceConfig(queue, { maxInFlight: 4 }), createTestSourceContext());
    try {
      await clients.publish(
        queue,
        Array.from({ length: 40 }, (_, index) => conformanceMessage(tag, index + 1)),
      );
      await source.start(recorder.deliver);
      // With prefetch 4, the 39 after the held one only arrive if their acks go out while delivery 1 is unsettled.
      await recorder.waitForResolved(39, 20_000);
      release();
      await recorder.waitForResolvedId(`${tag}-1`);
    } finally {
      release();
      await source.stop();
    }
    const channel = await clients.channel();
    assert.equal((await channel.checkQueue(queue)).messageCount, 0, "every ack reached the broker before the close");
    await clients.deleteQueue(queue);
  });

  it("declares configured bindings and passes the routing key to the mapping", async () => {
    const queue = await clients.createQueue("bound");
    const exchange = uniqueName("events");
    const channel = await clients.channel();
    await channel.assertExchange(exchange, "topic", { durable: false, autoDelete: false });
    const ctx = createTestSourceContext({ mapping: { type: { header: "x-routing-key" }, id: { broker: "id" } } });
    const recorder = createRecordingDeliver();
    const source = createAmqpSource(
      sourceConfig(queue, { bindings: [{ exchange, routingKey: "order.#" }], routingKeyHeader: "x-routing-key" }),
      ctx,
    );
    try {
      await source.start(recorder.deliver);
      channel.publish(exchange, "order.created", Buffer.from("{}"), { messageId: "m-1" });
      channel.publish(exchange, "invoice.paid", Buffer.from("{}"), { messageId: "m-2" });
      await channel.waitForConfirms();
      await recorder.waitForResolved(1);
      const [envelope] = recorder.resolved;
      assert.equal(envelope?.type, "order.created");
      assert.equal(envelope?.id, "m-1");
      assert.equal(envelope?.idempotencyKey, "amqp:id:m-1");
      assert.equal(
        (await channel.checkQueue(queue)).messageCount,
        0,
        "the unbound routing key never reached the queue",
      );
    } finally {
      await source.stop();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await clients.deleteQueue(queue);
    }
  });

  it("stop() during start() leaves nothing running", async () => {
    const queue = await clients.createQueue("early-stop");
    const recorder = createRecordingDeliver();
    const source = createAmqpSource(sourceConfig(queue), createTestSourceContext());
    const started = source.start(recorder.deliver).catch(() => undefined);
    await source.stop();
    await started;
    await clients.publish(queue, [conformanceMessage(runTag(), 1)]);
    const channel = await clients.channel();
    assert.equal((await channel.checkQueue(queue)).consumerCount, 0, "no consumer is left on the queue");
    assert.equal(recorder.calls.length, 0);
    await clients.deleteQueue(queue);
  });

  it("check() and start() report a missing queue clearly", async () => {
    const queue = uniqueName("missing");
    await assert.rejects(checkAmqpSource(sourceConfig(queue), createTestContext()), (error: unknown) => {
      assert.ok(error instanceof HookyardError);
      assert.equal(error.code, "RESOURCE_NOT_FOUND");
      assert.match(error.message, new RegExp(queue));
      return true;
    });
    const source = createAmqpSource(sourceConfig(queue), createTestSourceContext());
    await assert.rejects(
      source.start(async () => undefined),
      { code: "RESOURCE_NOT_FOUND" },
    );
    await source.stop();
  });

  it("reports wrong credentials as a config error", async () => {
    const config = sourceConfig("any", { username: "nobody", password: "wrong" });
    await assert.rejects(checkAmqpSource(config, createTestContext()), (error: unknown) => {
      assert.ok(error instanceof HookyardError);
      assert.equal(error.code, "CONFIG_INVALID");
      assert.equal(error.retryable, false);
      assert.doesNotMatch(error.message, /wrong/, "the password is not in the message");
      return true;
    });
  });
});
