import { after } from "node:test";
import type { Context } from "@hookyard/core";
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
    const harness = {
      createSink: (ctx: Context) => createKafkaSink(sinkConfig({ topic }), ctx),
      // For the kit's transient-batch-error check (sink-limits contract): nothing listens on port 1.
      createUnreachableSink: (ctx: Context) =>
        createKafkaSink(
          { ...sinkConfig({ topic, brokers: ["127.0.0.1:1"], connectionTimeout: 200 }), requestTimeout: 500 },
          ctx,
        ),
      readBack: (count: number, timeoutMs: number) => clients.readBack(topic, count, timeoutMs),
      cleanup: () => clients.deleteTopic(topic),
    };
    return harness;
  },
});
