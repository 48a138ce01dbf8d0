import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEmbeddedStore, createRedisStore, type SchedulerStore } from "@hookyard/scheduler";
import { testEndpoint, uniqueId } from "@hookyard/scheduler/testing";
import { requireBrokers } from "@hookyard/test-brokers";
import { pino } from "pino";
import { createMetrics } from "../metrics.js";
import { createOperatorAlerts } from "./operator-alerts.js";

// Alerts about shared state (the history outbox) are raised by every instance watching it; the operator endpoint
// must hear them once per window, not once per instance. Two OperatorAlerts on one store stand for two instances.

const brokers = requireBrokers("redis");
const WINDOW_MS = 60_000;

const stores: [string, () => SchedulerStore][] = [
  ["redis", () => createRedisStore({ redis: brokers.redisUrl, prefix: uniqueId("hy-alerts") })],
  ["embedded", () => createEmbeddedStore()],
];

for (const [name, open] of stores) {
  describe(`operator alerts shared by instances: ${name} store`, () => {
    const store = open();
    after(() => store.close());

    async function instances(pagerId: string) {
      const pager = { endpoint: testEndpoint(pagerId), events: ["history.outbox.filling" as const] };
      await store.syncEndpoints([pager.endpoint]);
      return [1, 2].map(() => {
        const metrics = createMetrics({ defaultMetrics: false });
        const alerts = createOperatorAlerts({
          store,
          endpoints: [pager],
          ownerOf: () => undefined,
          metrics,
          logger: pino({ level: "silent" }),
          now: () => Date.now(),
        });
        return { alerts, metrics };
      });
    }

    async function queuedFor(endpointId: string): Promise<number> {
      return (await store.getEndpointState(endpointId, Date.now())).queued;
    }

    it("queues a shared alert once per window for all instances, while each instance counts it", async () => {
      const pagerId = uniqueId("pager");
      const [one, two] = await instances(pagerId);
      assert.ok(one && two);
      one.alerts.raiseShared("history.outbox.filling", { records: 8, maxRecords: 10 }, WINDOW_MS);
      two.alerts.raiseShared("history.outbox.filling", { records: 9, maxRecords: 10 }, WINDOW_MS);
      await Promise.all([one.alerts.idle(), two.alerts.idle()]);
      assert.equal(await queuedFor(pagerId), 1, "one webhook for the two instances");
      for (const { metrics } of [one, two]) {
        const counted = await metrics.operatorEvents.get();
        assert.deepEqual(
          counted.values.map((v) => [v.labels.type, v.value]),
          [["history.outbox.filling", 1]],
        );
      }
    });

    it("queues an instance's own alert every time it is raised", async () => {
      const pagerId = uniqueId("pager");
      const [one, two] = await instances(pagerId);
      assert.ok(one && two);
      one.alerts.raise("history.outbox.filling", { records: 8, maxRecords: 10 });
      two.alerts.raise("history.outbox.filling", { records: 9, maxRecords: 10 });
      await Promise.all([one.alerts.idle(), two.alerts.idle()]);
      assert.equal(await queuedFor(pagerId), 2);
    });
  });
}
