import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type PrivateRedis, startPrivateRedis, uniqueName, waitFor } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { writeConfigFile } from "./config-file.js";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { runHookyard } from "./hookyard-process.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

// `hookyard start` against a private redis-server whose maxmemory-policy evicts: refused at start-up with exit
// 78 naming the setting, before anything is consumed or accepted. And a gateway whose Redis reaches maxmemory
// (noeviction): the ingest API answers 503 while every queued delivery is still delivered.

describe("hookyard start refuses an evicting Redis", () => {
  let redis: PrivateRedis;
  let url: string;
  before(async () => {
    redis = await startPrivateRedis({ config: ["maxmemory-policy allkeys-lru"] });
    url = redis.url;
  });
  after(() => redis.destroy());

  it("exits 78 naming maxmemory-policy and why", async () => {
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port: 0 },
      log: { level: "info", format: "json" },
      redis: { url },
      endpoints: [{ id: "a", url: "https://hooks.example.com/a", secrets: [TEST_SECRET] }],
    });
    const hookyard = runHookyard(["start", "-c", file]);
    const { code } = await hookyard.exited;
    const output = `${hookyard.stdout()}\n${hookyard.stderr()}`;
    assert.equal(code, 78, output);
    assert.match(output, /maxmemory-policy allkeys-lru/);
    assert.match(output, /noeviction/);
    assert.doesNotMatch(output, /hookyard started/);
  });
});

describe("a gateway whose Redis is full (maxmemory, noeviction)", () => {
  it("answers 503 on the ingest API while every queued delivery is still delivered, then accepts again", async () => {
    const redis = await startPrivateRedis({ config: ["maxmemory 4mb", "maxmemory-policy noeviction"] });
    // The receiver holds every request until released: deliveries beyond the endpoint's concurrency stay queued
    // in Redis, so the events fill it.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const receiver = await startWebhookReceiver(TEST_SECRET, { answerAfter: released });
    const prefix = uniqueName("hy");
    const config = ingestConfig(`${receiver.url}/hooks`, {
      redis: { url: redis.url, prefix },
      delivery: { lease: "90s", dedupWindow: "2h" },
    });
    const [endpoint] = config.endpoints as Record<string, unknown>[];
    Object.assign(endpoint ?? {}, { policy: { timeout: "60s" } });
    const gateway = await startTestGateway(config);
    const send = (id: string) =>
      fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ id, type: "full.test", data: { pad: "x".repeat(16_000) } }),
      });
    try {
      const accepted: string[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 2000 && refused === undefined; i++) {
        const id = uniqueName("evt");
        const response = await send(id);
        if (response.status === 202) accepted.push(id);
        else refused = response;
      }
      assert.ok(refused, `never refused after ${accepted.length} events`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "5");
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "UNAVAILABLE");
      assert.ok(accepted.length > 50, `only ${accepted.length} events accepted before maxmemory`);
      const admin = new Redis(redis.url);
      try {
        const info = await admin.info("memory");
        const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
        assert.ok(used >= 3.5 * 2 ** 20, `Redis is at maxmemory (${used} B used)`);
        // Each accepted event id is remembered for delivery.dedupWindow.
        const ttl = await admin.pttl(`{${prefix}}:dedup:http:${accepted[0]}`);
        assert.ok(ttl > 7_000_000 && ttl <= 7_200_000, `dedup key kept ${ttl} ms, not 2 h`);
      } finally {
        admin.disconnect();
      }

      // Redis still full: every accepted event is delivered once the endpoint answers.
      release();
      await waitFor(
        "every accepted event at the receiver",
        () => {
          const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
          return accepted.every((id) => ids.has(id)) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      assert.ok(receiver.received.every((r) => r.verified));
      // Settled deliveries left Redis (through the outbox to the history): intake resumes by itself.
      const id = uniqueName("evt");
      await waitFor("ingest accepting again", async () => ((await send(id)).status === 202 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      await waitFor("the event accepted after the drain", () =>
        receiver.received.some((r) => r.headers["webhook-id"] === id) ? true : undefined,
      );
    } finally {
      release();
      await gateway.stop();
      await receiver.close();
      await redis.destroy();
    }
  });
});
