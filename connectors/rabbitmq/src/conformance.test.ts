import { after } from "node:test";
import { describeSinkConformance, describeSourceConformance } from "@hookyard/core/testing";
import { createAmqpSink } from "./sink.js";
import { createAmqpSource } from "./source.js";
import { createAmqpTestClients, sinkConfig, sourceConfig } from "./test-amqp.fixture.js";

const clients = createAmqpTestClients();
after(() => clients.close());

describeSourceConformance({
  broker: "rabbitmq",
  // One queue is FIFO and the source serialises by keyHeader, but a requeued message goes back to the broker and
  // may overtake: RabbitMQ gives no per-key order guarantee under redelivery, so the kit leaves its order check out.
  capabilities: { orderedByKey: false, keyPreserved: true },
  timeoutMs: 15_000,
  async setup() {
    const queue = await clients.createQueue("conf-src");
    return {
      createSource: (ctx, overrides) => createAmqpSource(sourceConfig(queue, { ...overrides }), ctx),
      publish: (messages) => clients.publish(queue, messages),
      cleanup: () => clients.deleteQueue(queue),
    };
  },
});

describeSinkConformance({
  broker: "rabbitmq",
  capabilities: { keyPreserved: true },
  timeoutMs: 15_000,
  async setup() {
    const queue = await clients.createQueue("conf-sink");
    return {
      // The default exchange routes by queue name: the routing key is the queue itself.
      createSink: (ctx) => createAmqpSink(sinkConfig({ exchange: "", routingKey: queue }), ctx),
      readBack: (count, timeoutMs) => clients.readBack(queue, count, timeoutMs),
      // Nothing listens on port 1: the connection is refused at once.
      createUnreachableSink: (ctx) =>
        createAmqpSink(
          sinkConfig({ url: "amqp://127.0.0.1:1", exchange: "", routingKey: queue, sendTimeout: 3000 }),
          ctx,
        ),
      cleanup: () => clients.deleteQueue(queue),
    };
  },
});
