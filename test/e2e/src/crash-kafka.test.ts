import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crashTestBroker, runCrashTest } from "./crash-harness.js";
import { kafkaFixture } from "./kafka-fixture.js";

describe("crash test: kafka source (4 partitions)", () => {
  it("10,000 events, Hookyard SIGKILLed three times: every event arrives, duplicates keep their webhook-id", async () => {
    const report = await runCrashTest(crashTestBroker(await kafkaFixture({ partitions: 4 })), {
      events: 10_000,
      kills: 3,
    });
    console.log(`crash test kafka: ${JSON.stringify(report)}`);
    assert.equal(report.events, 10_000);
  });
});
