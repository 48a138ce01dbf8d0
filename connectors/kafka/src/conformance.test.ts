import { after } from "node:test";
import { describeSinkConformance, describeSourceConformance } from "@hookyard/core/testing";
import { uniqueName } from "@hookyard/test-brokers";
import { createKafkaSink } from "./sink.js";
import { createKafkaSource } from "./source.js";
import { createKafkaTestClients, sinkConfig, testSourceConfig } from "./test-kafka.fixture.js";

const clients = createKafkaTestClients();
after(() => clients.close());

describeSourceConformance({
  broker: "kafka",
  capabilities: { orderedByKey: true },
  timeoutMs: 20_000,
  async setup() {
    const topic = await clients.createTopic("conf-src");
    const groupId = uniqueName("conf-group");
    return {
      createSource: (ctx, overrides) => createKafkaSource(testSourceConfig(topic, groupId, { ...overrides }), ctx),
      publish: (messages) => clients.publish(topic, messages),
      cleanup: () => clients.deleteTopic(topic),
    };
  },
});

describeSinkConformance({
  broker: "kafka",
  capabilities: { keyPreserved: true },
  timeoutMs: 20_000,
  async setup() {
    const topic = await clients.createTopic("conf-sink");
    return {
      createSink: (ctx) => createKafkaSink(sinkConfig({ topic }), ctx),
      readBack: (count, timeoutMs) => clients.readBack(topic, count, timeoutMs),
      cleanup: () => clients.deleteTopic(topic),
    };
  },
});
