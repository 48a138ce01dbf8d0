import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { createMemoryHistoryStore, type HistoryBatch, type HistoryStore } from "@hookyard/history";
import { createEmbeddedStore } from "@hookyard/scheduler";
import { settleAll, testEndpoint, uniqueId } from "@hookyard/scheduler/testing";
import { waitFor } from "@hookyard/test-brokers";
import pino from "pino";
import { createMetrics } from "../metrics.js";
import type { OperatorAlerts } from "../operator/operator-alerts.js";
import { startHistoryTier } from "./gateway-history.js";
import { createTeardown } from "./teardown.js";

const NO_ALERTS: OperatorAlerts = { raise() {}, raiseShared() {}, fromScheduler() {}, idle: async () => {} };

describe("history tier", () => {
  it("counts delivered records the history store refuses for good (hookyard_history_refused_records_total)", async () => {
    const store = createEmbeddedStore();
    const memory = createMemoryHistoryStore();
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 10 })]);
    const ids = await settleAll(store, ep, 3, 1000, "delivered");
    const refusing: HistoryStore = {
      ...memory,
      async write(batch: HistoryBatch) {
        if (batch.deliveries.some((d) => d.deliveryId === ids[1])) {
          throw new HookyardError("HISTORY_FAILED", "value too long for type character varying");
        }
        await memory.write(batch);
      },
    };
    const metrics = createMetrics({ defaultMetrics: false });
    const teardown = createTeardown();
    startHistoryTier({
      store,
      history: refusing,
      settings: {
        kind: "memory",
        maxDelivered: 100,
        maxDeadLetters: 100,
        retentionMs: 86_400_000,
        deadLetterRetentionMs: 86_400_000,
        outboxMaxRecords: 100,
        handoffLingerMs: 20,
      },
      ownerOf: () => "acme",
      alerts: NO_ALERTS,
      outboxFillAlert: 0.8,
      metrics,
      logger: pino({ level: "silent" }),
      teardown,
      now: () => 1000,
    });
    try {
      // The batch's figures are counted together, once it is acknowledged.
      const text = await waitFor("the hand-off of the batch", async () => {
        const scraped = await metrics.registry.metrics();
        return /hookyard_history_written_total 2\n/.test(scraped) ? scraped : undefined;
      });
      assert.match(text, /hookyard_history_refused_records_total 1\n/);
      assert.equal((await store.outboxStats()).records, 0, "the refused record is acknowledged too");
      assert.equal((await memory.getDeliveries(ids)).length, 2);
    } finally {
      await teardown.run();
      await store.close();
    }
  });
});
