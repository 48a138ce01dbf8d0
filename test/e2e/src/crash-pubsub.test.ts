import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crashTestBroker, runCrashTest } from "./crash-harness.js";
import { pubsubFixture } from "./pubsub-fixture.js";

describe("crash test: pubsub source (one subscription)", () => {
  it("10,000 events, Hookyard SIGKILLed three times: every event arrives, duplicates keep their webhook-id", async () => {
    const report = await runCrashTest(crashTestBroker(await pubsubFixture()), { events: 10_000, kills: 3 });
    console.log(`crash test pubsub: ${JSON.stringify(report)}`);
    assert.equal(report.events, 10_000);
  });
});
