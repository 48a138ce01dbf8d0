import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import type { BrokerFixture, TestEvent } from "./broker-fixture.js";
import { writeConfigFile } from "./config-file.js";
import { TEST_SECRET } from "./gateway-fixture.js";
import { freePort, runHookyard } from "./hookyard-process.js";
import { kafkaFixture } from "./kafka-fixture.js";
import { pubsubFixture } from "./pubsub-fixture.js";
import { rabbitmqFixture } from "./rabbitmq-fixture.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { sqsFixture } from "./sqs-fixture.js";
import { standardPayload, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const fixtures: Record<string, () => Promise<BrokerFixture>> = {
  kafka: () => kafkaFixture(),
  rabbitmq: () => rabbitmqFixture(),
  pubsub: () => pubsubFixture(),
  sqs: () => sqsFixture(),
};

describe("broker sources end to end: published with the broker's client, delivered signed by the CLI", () => {
  const { redisUrl } = requireBrokers("redis");
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver(TEST_SECRET);
  });
  after(() => receiver.close());

  for (const [name, makeFixture] of Object.entries(fixtures)) {
    it(`${name}: a JSON and a binary event arrive byte-identical and signed; an unsubscribed type does not`, async () => {
      const fixture = await makeFixture();
      const path = `/${name}-${uniqueName("e2e")}`;
      const prefix = uniqueName("hy-e2e");
      const file = writeConfigFile({
        server: { host: "127.0.0.1", port: await freePort() },
        log: { level: "info", format: "json" },
        redis: { url: redisUrl, prefix },
        egress: { allowCidrs: ["127.0.0.0/8"] },
        endpoints: [{ id: "receiver", url: `${receiver.url}${path}`, secrets: [TEST_SECRET] }],
        subscriptions: [{ id: "orders", endpoints: ["receiver"], types: ["order.*", "blob.*"] }],
        sources: [fixture.source()],
      });
      const json: TestEvent = {
        id: uniqueName(`${name}-json`),
        type: "order.created",
        data: Buffer.from('{"order":"o-1","total":12.5,"note":"caf\u00e9 \u2603"}'),
        headers: { "x-trace": "trace-1" },
      };
      // Every byte value, so an encoding step anywhere on the way would show.
      const binary: TestEvent = {
        id: uniqueName(`${name}-bin`),
        type: "blob.uploaded",
        data: Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64)]),
        headers: { "content-type": "application/octet-stream" },
      };
      const ignored: TestEvent = { id: uniqueName(`${name}-ignored`), type: "user.deleted", data: Buffer.from("{}") };
      const hookyard = runHookyard(["start", "-c", file]);
      try {
        await hookyard.waitForLine(/hookyard started/);
        await fixture.publish([json, ignored, binary]);
        const mine = () => receiver.received.filter((request) => request.path === path);
        await receiver.waitFor(receiver.received.length + 1);
        while (mine().length < 2) await receiver.waitFor(receiver.received.length + 1);
        const byId = new Map(mine().map((request) => [request.headers["webhook-id"], request]));
        const gotJson = byId.get(json.id);
        const gotBinary = byId.get(binary.id);
        assert.ok(gotJson, `${json.id} arrived`);
        assert.ok(gotBinary, `${binary.id} arrived`);
        const structured = standardPayload(gotJson.body);
        assert.equal(structured.type, json.type, "the event type in the Standard Webhooks structure");
        assert.deepEqual(structured.data, Buffer.from(json.data), "JSON payload byte-identical as data");
        assert.equal(gotJson.verified, true, "verified by the official standardwebhooks library");
        assert.equal(gotJson.rawVerified, true);
        assert.equal(gotJson.headers["content-type"], "application/json");
        assert.deepEqual(gotBinary.body, Buffer.from(binary.data), "binary payload byte-identical");
        assert.equal(gotBinary.rawVerified, true, "signature over the raw bytes verifies");
        assert.equal(gotBinary.headers["content-type"], "application/octet-stream");
        assert.ok(!byId.has(ignored.id), "an event no subscription matches is not delivered");
      } finally {
        hookyard.kill("SIGTERM");
        const exit = await hookyard.exited;
        await fixture.cleanup();
        await deleteHookyardKeys(redisUrl, prefix);
        assert.equal(exit.code, 0, hookyard.stderr().slice(-4000));
      }
    });
  }
});
