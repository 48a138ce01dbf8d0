import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crashTestBroker, runCrashTest } from "./crash-harness.js";
import { pubsubFixture } from "./pubsub-fixture.js";

describe("crash test: pubsub source (one subscription)", () => {
  // CPU-bound: ~26 s of CPU end to end (Hookyard, pstest, Redis, PostgreSQL, the receiver), which at a load average
  // of 11-15 on 2 vCPUs took 124-141 s, near the suite's default 180 s: this test gets its own, longer limit.
  it("10,000 events, Hookyard SIGKILLed three times: every event arrives, duplicates keep their webhook-id", {
    timeout: 420_000,
  }, async () => {
    // pstest pushes all it holds at the client, whatever its flow control: publish as a producer would, ahead
    // of the consumer by a bounded amount (all 10,000 up front took 141-408 s at load 15 and duplicated ~500).
    const report = await runCrashTest(crashTestBroker(await pubsubFixture()), {
      events: 10_000,
      kills: 3,
      publishAhead: 1000,
    });
    console.log(`crash test pubsub: ${JSON.stringify(report)}`);
    assert.equal(report.events, 10_000);
  });
});
