import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// The benchmark's brokers: one fresh topic/queue/subscription per run, published to with the broker's own Node
// client. These are the end-to-end suite's fixtures (test/e2e/src/*-fixture.ts, compiled), so the bench publishes
// exactly as the tests do. Build them first: npx turbo run build --filter=@hookyard/test-e2e
import { kafkaFixture } from "../../test/e2e/dist/kafka-fixture.js";
import { pubsubFixture } from "../../test/e2e/dist/pubsub-fixture.js";
import { rabbitmqFixture } from "../../test/e2e/dist/rabbitmq-fixture.js";
import { sqsFixture } from "../../test/e2e/dist/sqs-fixture.js";

export const BROKERS = ["kafka", "rabbitmq", "pubsub", "sqs"];

/** Source settings for throughput (the fixtures' defaults are tuned for fast crash recovery instead). */
const THROUGHPUT = {
  kafka: { maxInFlight: 1024, partitionsConsumedConcurrently: 8 },
  rabbitmq: { maxInFlight: 1024 },
  pubsub: { maxInFlight: 1024, streams: 16 },
  sqs: { maxInFlight: 500, receivers: 32, visibilityTimeout: "30s" },
};

/** The "synthetic" broker: nothing to publish; the source makes the events itself (synthetic-source.mjs). */
function syntheticFixture() {
  let events = [];
  return {
    name: "synthetic",
    async publish(list) {
      events = list;
    },
    source: (id = "synthetic") => ({
      id,
      type: "hookyard-bench-synthetic", // installed beside the config by e2e-rate.mjs (installSynthetic)
      config: { events: events.length, prefix: events[0]?.id.replace(/-0$/, "") ?? "synthetic" },
    }),
    async cleanup() {},
  };
}

/**
 * Makes synthetic-source.mjs loadable by its package name from `dir` (the runtime resolves connector packages from
 * the folder it runs in): dir/node_modules/hookyard-bench-synthetic re-exports it.
 */
export function installSynthetic(dir) {
  const pkg = join(dir, "node_modules", "hookyard-bench-synthetic");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "hookyard-bench-synthetic", type: "module", main: "index.js" }),
  );
  const source = new URL("synthetic-source.mjs", import.meta.url).href;
  writeFileSync(join(pkg, "index.js"), `export { connector } from ${JSON.stringify(source)};\n`);
}

export function createFixture(broker, partitions = 8) {
  const source = THROUGHPUT[broker];
  switch (broker) {
    case "synthetic":
      return syntheticFixture();
    case "kafka":
      return kafkaFixture({ partitions, source });
    case "rabbitmq":
      return rabbitmqFixture({ source });
    case "pubsub":
      return pubsubFixture({ source });
    case "sqs":
      return sqsFixture({ source });
    default:
      throw new Error(`unknown broker ${broker}; one of ${BROKERS.join(", ")}`);
  }
}

import { PAYLOAD } from "./payload.mjs";

export { PAYLOAD };

export function events(count, prefix) {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, type: "invoice.paid", data: PAYLOAD }));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
