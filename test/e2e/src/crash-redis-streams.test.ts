import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { runCrashTest } from "./crash-harness.js";

describe("crash test: redis-streams source (custom connector package)", () => {
  it("10,000 events, Hookyard SIGKILLed three times: every event arrives, duplicates keep their webhook-id", async () => {
    const { redisUrl } = requireBrokers("redis");
    const redis = new Redis(redisUrl);
    const stream = uniqueName("crash-stream");
    const report = await runCrashTest(
      {
        name: "redis-streams",
        async publish(ids) {
          for (let i = 0; i < ids.length; i += 500) {
            const pipeline = redis.pipeline();
            for (const id of ids.slice(i, i + 500)) {
              pipeline.xadd(stream, "*", "data", JSON.stringify({ id }), "ce-id", id, "ce-type", "crash.test");
            }
            await pipeline.exec();
          }
        },
        source: () => ({
          id: "stream",
          type: "hookyard-connector-redis-streams",
          config: { url: redisUrl, stream, group: "hookyard", createGroup: true, claimIdleMs: 1000, blockMs: 500 },
        }),
        async cleanup() {
          await redis.del(stream);
          redis.disconnect();
        },
      },
      { events: 10_000, kills: 3 },
    );
    console.log(`crash test redis-streams: ${JSON.stringify(report)}`);
    assert.equal(report.events, 10_000);
  });
});
