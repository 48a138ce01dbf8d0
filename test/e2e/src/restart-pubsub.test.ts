import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PubSub } from "@google-cloud/pubsub";
import { privatePubsubFake, requireBrokers, startTcpProxy } from "@hookyard/test-brokers";
import { pubsubFixture } from "./pubsub-fixture.js";
import { runRestartTest } from "./restart-harness.js";

describe("broker restart: pubsub source", () => {
  it("Pub/Sub unreachable mid-stream (connections cut, then refused): streams resume, nothing lost", async () => {
    // A TCP proxy in front of the shared pstest: gRPC streams break and reconnect; the fake keeps its messages.
    const [host = "", port = ""] = requireBrokers("pubsub").pubsubEmulatorHost.split(":");
    const proxy = await startTcpProxy({ host, port: Number(port) });
    after(() => proxy.close());
    const report = await runRestartTest(
      {
        fixture: await pubsubFixture({ sourceHost: proxy.address }),
        down: () => proxy.down(),
        up: () => proxy.up(),
        noticed: /pubsub stream interrupted|pubsub subscriber error/,
        keepsMessages: true,
      },
      { events: 4000 },
    );
    console.log(`restart test pubsub (outage): ${JSON.stringify(report)}`);
    assert.ok(report.received >= report.events);
  });

  it("a private pstest really restarted mid-stream: the source reopens by itself once the subscription is back", async () => {
    const pstest = await privatePubsubFake();
    await pstest.start();
    after(() => pstest.stop());
    const fixture = await pubsubFixture({ emulatorHost: pstest.host, projectId: "hookyard-restart" });
    const report = await runRestartTest(
      {
        fixture,
        down: () => pstest.stop(),
        async up() {
          // pstest keeps nothing: the operator's part of a restart is recreating the topic and subscription.
          await pstest.start();
          await fixture.recreate();
          // A restarted pstest numbers messages from m0 again, so the next ones would repeat the ids (and with them
          // the de-duplication keys) of events Hookyard already took; real Pub/Sub never reuses an id in a topic.
          // Publishing as many as before to a throwaway topic moves the counter past them.
          const client = new PubSub({ projectId: "hookyard-restart", apiEndpoint: pstest.host, emulatorMode: true });
          const [burn] = await client.createTopic("burn-message-ids");
          await Promise.all(Array.from({ length: 1000 }, () => burn.publishMessage({ data: Buffer.from("-") })));
          await client.close();
        },
        noticed: /pubsub stream interrupted|pubsub subscriber error/,
        keepsMessages: false,
      },
      { events: 2000 },
    );
    console.log(`restart test pubsub (pstest restarted): ${JSON.stringify(report)}`);
    assert.ok(report.received >= report.events / 2);
  });
});
