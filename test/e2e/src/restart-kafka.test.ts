import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { kafkaFixture } from "./kafka-fixture.js";
import { privateKafka } from "./private-kafka.js";
import { runRestartTest } from "./restart-harness.js";

describe("broker restart: kafka source", () => {
  it("a private Kafka stopped (SIGTERM) and started again mid-stream: the consumer rejoins, nothing lost", async () => {
    // Kafka clients reconnect to the advertised address, so a proxy cannot fake this: a broker of the test's own.
    const kafka = await privateKafka();
    after(() => kafka.close());
    await kafka.start();
    const report = await runRestartTest(
      {
        fixture: await kafkaFixture({ brokers: [kafka.bootstrap], partitions: 3 }),
        down: () => kafka.stop(),
        up: () => kafka.start(),
        noticed: /kafka consumer crashed/,
        keepsMessages: true,
      },
      // Kafka consumes fast: a larger first half keeps the outage mid-stream while the broker shuts down.
      { events: 10_000 },
    );
    console.log(`restart test kafka: ${JSON.stringify(report)}`);
    assert.ok(report.received >= report.events);
  });
});
