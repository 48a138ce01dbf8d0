import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { requireBrokers, startTcpProxy } from "@hookyard/test-brokers";
import { rabbitmqFixture } from "./rabbitmq-fixture.js";
import { runRestartTest } from "./restart-harness.js";

describe("broker restart: rabbitmq source", () => {
  it("every connection dropped and refused mid-stream: Hookyard reconnects by itself and loses nothing", async () => {
    // A TCP proxy stands in for the broker restart: the shared RabbitMQ serves other tests meanwhile.
    const broker = new URL(requireBrokers("rabbitmq").amqpUrl);
    const proxy = await startTcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
    after(() => proxy.close());
    const proxied = new URL(broker.href);
    proxied.host = proxy.address;
    const report = await runRestartTest(
      {
        fixture: await rabbitmqFixture({ url: proxied.href }),
        down: () => proxy.down(),
        up: () => proxy.up(),
        noticed: /rabbitmq connection lost/,
        keepsMessages: true,
      },
      { events: 4000 },
    );
    console.log(`restart test rabbitmq: ${JSON.stringify(report)}`);
    assert.ok(report.received >= report.events);
  });
});
