import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crashTestBroker, runCrashTest } from "./crash-harness.js";
import { sqsFixture } from "./sqs-fixture.js";

// The kill -9 loss ledger on the shared Redis Cluster: two Hookyard instances competing for one SQS queue, the
// scheduler in 6 shards over the masters, each instance SIGKILLed and restarted in turn while the other goes on.

describe("crash test on Redis Cluster: two Hookyard instances, 6 shards, an SQS queue", () => {
  it("6,000 events, the instances SIGKILLed in turn four times: every event arrives, duplicates counted", async () => {
    const report = await runCrashTest(crashTestBroker(await sqsFixture()), {
      events: 6_000,
      kills: 4,
      cluster: { shards: 6, instances: 2 },
    });
    console.log(`crash test sqs on redis cluster: ${JSON.stringify(report)}`);
    assert.equal(report.events, 6_000);
    assert.equal(report.instances, 2);
  });
});
