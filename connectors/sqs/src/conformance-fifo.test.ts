import { describeSinkConformance, describeSourceConformance } from "@hookyard/core/testing";
import { sinkHarness, sourceHarness, sqsTestBroker } from "./test-harness.js";

// A FIFO queue: MessageGroupId is the key, messages of a group in order one at a time.
const broker = sqsTestBroker();
const covered = "covered by the standard-queue run";

describeSourceConformance({
  broker: "sqs",
  setup: () => sourceHarness(broker, true),
  capabilities: { orderedByKey: true },
  timeoutMs: 15_000,
  omit: { "dead-letter-oversize": covered, "stop-before-start": covered, "dead-letter-mapping": covered },
});

describeSinkConformance({
  broker: "sqs",
  setup: () => sinkHarness(broker, true),
  capabilities: { keyPreserved: true },
  timeoutMs: 15_000,
  omit: { "empty-batch": covered, "stop-idempotent": covered },
});
