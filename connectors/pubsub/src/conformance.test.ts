import { describeSinkConformance, describeSourceConformance } from "@hookyard/core/testing";
import { pubsubTestBroker, sinkHarness, sourceHarness } from "./test-harness.js";

const broker = pubsubTestBroker();

describeSourceConformance({
  broker: "pubsub",
  setup: () => sourceHarness(broker),
  capabilities: { orderedByKey: true },
  timeoutMs: 15_000,
});

describeSinkConformance({
  broker: "pubsub",
  setup: () => sinkHarness(broker),
  capabilities: { keyPreserved: true },
  timeoutMs: 15_000,
});
