import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { writeConfigFile } from "./config-file.js";
import { startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { freePort, runHookyard } from "./hookyard-process.js";
import { standardPayload, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const PACKAGE = "hookyard-connector-redis-streams";

describe("a custom connector package loaded by its npm name", () => {
  const { redisUrl } = requireBrokers("redis");
  let redis: Redis;
  let receiver: WebhookReceiver;
  before(async () => {
    redis = new Redis(redisUrl);
    receiver = await startWebhookReceiver(TEST_SECRET);
  });
  after(async () => {
    redis.disconnect();
    await receiver.close();
  });

  it(`runs ${PACKAGE} as a source: stream entries become signed webhooks`, async () => {
    const stream = uniqueName("e2e-stream");
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port: await freePort() },
      log: { level: "info", format: "json" },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "receiver", url: `${receiver.url}/custom`, secrets: [TEST_SECRET] }],
      subscriptions: [{ id: "orders", endpoints: ["receiver"], types: ["order.*"] }],
      sources: [
        { id: "stream", type: PACKAGE, config: { url: redisUrl, stream, group: "hookyard", createGroup: true } },
      ],
    });
    const hookyard = runHookyard(["start", "-c", file]);
    try {
      await hookyard.waitForLine(/"source":"stream".*source started/);
      const payload = Buffer.from('{"order":"o-9","total":12.5}');
      await redis.xadd(stream, "*", "data", payload, "ce-type", "order.paid", "ce-id", "evt-stream-1");
      await redis.xadd(stream, "*", "data", "{}", "ce-type", "user.created", "ce-id", "evt-stream-2");
      const [webhook] = await receiver.waitFor(1);
      assert.equal(webhook?.headers["webhook-id"], "evt-stream-1");
      assert.equal(webhook?.verified, true);
      assert.deepEqual(standardPayload(webhook?.body ?? Buffer.alloc(0)).data, payload);
      // The entry is acked only after it was durable: nothing pending for the group.
      const pending = (await redis.xpending(stream, "hookyard")) as [number];
      assert.equal(pending[0], 0);
    } finally {
      hookyard.kill("SIGTERM");
      assert.equal((await hookyard.exited).code, 0, hookyard.stderr());
      await redis.del(stream);
    }
    assert.equal(
      receiver.received.filter((request) => request.path === "/custom").length,
      1,
      "user.created matched no subscription",
    );
  });

  it("keeps a poison entry with its reason, acks it, and keeps the stream flowing", async () => {
    const stream = uniqueName("e2e-stream");
    const gateway = await startTestGateway({
      server: { host: "127.0.0.1", port: 0 },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "receiver", url: `${receiver.url}/poison`, secrets: [TEST_SECRET] }],
      subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
      sources: [{ id: "stream", type: PACKAGE, config: { url: redisUrl, stream, group: "g", createGroup: true } }],
    });
    try {
      const before = receiver.received.length;
      await redis.xadd(stream, "*", "data", Buffer.from([0xff, 0x00]), "x-note", "no ce-type: unmappable");
      await redis.xadd(stream, "*", "data", "{}", "ce-type", "order.created", "ce-id", "evt-after-poison");
      const arrived = await receiver.waitFor(before + 1);
      assert.equal(arrived.at(-1)?.headers["webhook-id"], "evt-after-poison");
      const rejected = await gateway.store.listRejected("source:stream", 10);
      assert.equal(rejected.length, 1);
      assert.match(rejected[0]?.reason ?? "", /type/);
      assert.deepEqual(rejected[0]?.data, new Uint8Array([0xff, 0x00]));
      assert.equal(rejected[0]?.headers["x-note"], "no ce-type: unmappable");
      const pending = (await redis.xpending(stream, "g")) as [number];
      assert.equal(pending[0], 0, "the poison entry was acked after it was kept");
    } finally {
      await gateway.stop();
      await redis.del(stream);
    }
  });

  it("describes the package's own schema, and names a package that is not a connector", async () => {
    const describe = runHookyard(["describe", PACKAGE]);
    assert.equal((await describe.exited).code, 0, describe.stderr());
    assert.match(describe.stdout(), /createGroup/);
    const file = writeConfigFile({ sources: [{ id: "x", type: "yaml", config: {} }] });
    const validate = runHookyard(["validate", "-c", file]);
    assert.equal((await validate.exited).code, 78);
    assert.match(validate.stderr(), /sources\[0\]\.type: .*"yaml" does not export a valid Hookyard connector/);
  });
});
