import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerStats } from "@hookyard/scheduler";
import { createMetrics } from "./metrics.js";

/** Two endpoints; e1's queue depth is `queued`, so each read can be told apart. */
function figures(queued: number): SchedulerStats {
  return {
    endpoints: [
      { endpointId: "e1", enabled: true, breaker: "closed", queued, inFlight: 0, dead: 0 },
      { endpointId: "e2", enabled: false, breaker: "open", queued: 1, inFlight: 0, dead: 2 },
    ],
    outbox: { records: queued, shed: 3, oldestAgeMs: 90_500 },
  };
}

describe("metrics: store figures", () => {
  it("reads the store once per refresh period, however often Prometheus scrapes", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let reads = 0;
    metrics.bindStore(async () => figures(++reads * 7), { refreshMs: 60_000 });
    for (let scrape = 0; scrape < 20; scrape++) await metrics.registry.metrics();
    assert.equal(reads, 1, "one read for twenty scrapes");
    const text = await metrics.registry.metrics();
    assert.match(text, /hookyard_queue_depth\{endpoint="e1"\} 7\n/, "the first scrape already has the figures");
    assert.match(text, /hookyard_breaker_state\{endpoint="e2",state="open"\} 1\n/);
    assert.match(text, /hookyard_endpoint_enabled\{endpoint="e2"\} 0\n/);
    assert.match(text, /hookyard_dead_letters\{endpoint="e2"\} 2\n/);
    assert.match(text, /hookyard_history_outbox_records 7\n/);
    assert.match(text, /hookyard_history_shed_records 3\n/);
    assert.match(text, /hookyard_history_outbox_age_seconds 90.5\n/);
    assert.match(text, /hookyard_store_up 1\n/);
    assert.match(text, /hookyard_store_stats_age_seconds \d/);
  });

  it("refreshes stale figures in the background: a scrape serves the last ones and never waits on the store", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let reads = 0;
    const pending: (() => void)[] = [];
    metrics.bindStore(
      async () => {
        const read = ++reads;
        if (read > 1) await new Promise<void>((resolve) => pending.push(resolve));
        return figures(read);
      },
      { refreshMs: 0 },
    );
    const depth = async () => /hookyard_queue_depth\{endpoint="e1"\} (\d+)/.exec(await metrics.registry.metrics())?.[1];
    assert.equal(await depth(), "1", "the first scrape waits for the first read");
    assert.equal(await depth(), "1", "stale: read 2 starts, the scrape answers with read 1's figures");
    assert.equal(await depth(), "1", "read 2 still running: no read 3");
    assert.equal(reads, 2);
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await depth(), "2", "read 2's figures once it lands");
  });

  it("says the store is down when a read fails", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.bindStore(async () => Promise.reject(new Error("redis down")), { refreshMs: 60_000 });
    assert.match(await metrics.registry.metrics(), /hookyard_store_up 0\n/);
  });
});
