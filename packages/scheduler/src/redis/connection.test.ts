import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requireBrokers } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { closeClient, whenReady } from "./connection.js";

const brokers = requireBrokers("redis");

describe("whenReady", () => {
  it("lets a burst of callers share one wait for a connecting client", async () => {
    const client = new Redis(brokers.redisUrl, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const before = client.listenerCount("ready");
      const waits = Array.from({ length: 50 }, () => whenReady(client, 30_000));
      // Node warns past 10 listeners per event; one shared wait adds one.
      assert.equal(client.listenerCount("ready") - before, 1);
      await Promise.all(waits);
      assert.equal(client.status, "ready");
      assert.equal(client.listenerCount("ready"), before);
      assert.equal(await client.ping(), "PONG");
    } finally {
      await closeClient(client);
    }
  });

  it("fails at once on a closed client", async () => {
    const client = new Redis(brokers.redisUrl, { lazyConnect: true });
    client.disconnect();
    await assert.rejects(whenReady(client, 30_000), { code: "REDIS_UNAVAILABLE" });
  });
});
