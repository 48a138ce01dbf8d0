import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requireBrokers, uniqueName, waitFor } from "@hookyard/test-brokers";
import { writeConfigFile } from "./config-file.js";
import { TEST_SECRET } from "./gateway-fixture.js";
import { freePort, type HookyardProcess, runHookyard } from "./hookyard-process.js";
import { kafkaTestClient } from "./kafka-client.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

const EVENTS = 3000;

/** Reads `hookyard_events_in_total` from one instance's /metrics. */
async function eventsIn(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^hookyard_events_in_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe("scaling out: two instances on one Redis and one Kafka consumer group", () => {
  it("split the partitions, and when one is SIGKILLed the other finishes with nothing lost", async () => {
    const { redisUrl, kafkaBrokers } = requireBrokers("redis", "kafka");
    const kafka = kafkaTestClient(kafkaBrokers);
    const topic = uniqueName("e2e-scale");
    await kafka.createTopic(topic, 4);
    const receiver = await startWebhookReceiver(TEST_SECRET, {});
    const file = writeConfigFile({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} the config loader interpolates per instance
      server: { host: "127.0.0.1", port: "${HOOKYARD_PORT}", shutdownGrace: "2s" },
      log: { level: "info", format: "json" },
      redis: { url: redisUrl, prefix: uniqueName("hy-scale") },
      delivery: { lease: "3s" },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "receiver", url: `${receiver.url}/scale`, secrets: [TEST_SECRET], policy: { timeout: "2s" } }],
      subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
      sources: [
        {
          id: "orders",
          type: "kafka",
          config: {
            brokers: [...kafkaBrokers],
            topics: [topic],
            groupId: uniqueName("hookyard-scale"),
            fromBeginning: true,
          },
        },
      ],
    });
    const ports = [await freePort(), await freePort()];
    const instances: HookyardProcess[] = ports.map((port) =>
      runHookyard(["start", "-c", file], { HOOKYARD_PORT: String(port) }),
    );
    try {
      await Promise.all(instances.map((instance) => instance.waitForLine(/source started/)));
      const ids = Array.from({ length: EVENTS }, (_, i) => `${topic}-${i}`);
      for (let i = 0; i < ids.length; i += 500) {
        await kafka.publish(
          topic,
          ids.slice(i, i + 500).map((id, n) => ({
            key: `customer-${(i + n) % 16}`,
            value: JSON.stringify({ id }),
            headers: { "ce-id": id, "ce-type": "order.created" },
          })),
        );
      }

      // Both instances take part: each has made events durable from its share of the partitions.
      await waitFor(
        "both instances consuming",
        async () => ((await eventsIn(ports[0] ?? 0)) > 0 && (await eventsIn(ports[1] ?? 0)) > 0 ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      instances[0]?.kill("SIGKILL");
      await instances[0]?.exited;

      const missing = () => {
        const seen = new Set(receiver.received.map((request) => request.headers["webhook-id"]));
        return ids.filter((id) => !seen.has(id));
      };
      while (missing().length > 0) {
        await receiver.waitFor(receiver.received.length + 1, 60_000).catch((error: Error) => {
          throw new Error(`${error.message}; ${missing().length} events never arrived`);
        });
      }
      assert.ok(receiver.received.every((request) => request.verified));
    } finally {
      for (const instance of instances) instance.kill("SIGKILL");
      await Promise.all(instances.map((instance) => instance.exited));
      await receiver.close();
      await kafka.deleteTopic(topic).catch(() => undefined);
      await kafka.close();
    }
  });
});
