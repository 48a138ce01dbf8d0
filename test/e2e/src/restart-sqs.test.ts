import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { requireBrokers, startTcpProxy } from "@hookyard/test-brokers";
import { runRestartTest } from "./restart-harness.js";
import { sqsFixture } from "./sqs-fixture.js";

describe("broker restart: sqs source", () => {
  it("SQS unreachable mid-stream (connections cut, then refused): consumption resumes, nothing lost", async () => {
    // A TCP proxy stands in for the broker restart: the shared ElasticMQ serves other tests meanwhile.
    const endpoint = new URL(requireBrokers("sqs").sqsEndpoint);
    const proxy = await startTcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
    after(() => proxy.close());
    const report = await runRestartTest(
      {
        fixture: await sqsFixture({ endpoint: `http://${proxy.address}` }),
        down: () => proxy.down(),
        up: () => proxy.up(),
        noticed: /sqs receive failed/,
        keepsMessages: true,
      },
      { events: 4000 },
    );
    console.log(`restart test sqs: ${JSON.stringify(report)}`);
    assert.ok(report.received >= report.events);
  });
});
