import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crashTestBroker, runCrashTest } from "./crash-harness.js";
import { sqsFixture } from "./sqs-fixture.js";

describe("crash test: sqs source (a standard queue)", () => {
  it("10,000 events, Hookyard SIGKILLed three times: every event arrives, duplicates keep their webhook-id", async () => {
    const report = await runCrashTest(crashTestBroker(await sqsFixture()), { events: 10_000, kills: 3 });
    console.log(`crash test sqs: ${JSON.stringify(report)}`);
    assert.equal(report.events, 10_000);
  });
});
