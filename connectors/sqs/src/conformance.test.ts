import { describeSinkConformance, describeSourceConformance } from "@hookyard/core/testing";
import { sinkHarness, sourceHarness, sqsTestBroker } from "./test-harness.js";

// A standard queue, payloads base64 in the body (so any bytes round-trip).
const broker = sqsTestBroker();

describeSourceConformance({
  broker: "sqs",
  setup: () => sourceHarness(broker, false),
  capabilities: { orderedByKey: false },
  timeoutMs: 15_000,
});

describeSinkConformance({
  broker: "sqs",
  setup: () => sinkHarness(broker, false),
  timeoutMs: 15_000,
});
