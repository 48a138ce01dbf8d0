import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createManualClock } from "../clock.js";
import { attemptAt, testEndpoint, testEnvelope } from "../conformance/fixtures.js";
import { describeStoreConformance } from "../conformance/store-conformance.js";
import type { CompletionResult } from "../store.js";
import { createEmbeddedStore } from "./embedded-store.js";

describeStoreConformance("embedded", async (options) => {
  const store = createEmbeddedStore(options);
  return { store, close: () => store.close() };
});

describe("embedded store: the outbox's age", () => {
  it("is taken at the latest `now` the store was given when asked without a time (stats, outboxStats)", async () => {
    const store = createEmbeddedStore();
    await store.syncEndpoints([testEndpoint("ep")]);
    const [id] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep"], now: 1000 })).deliveryIds;
    await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 1000 });
    await store.complete("w", [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(1000, 200) }], 1000);
    await store.getEndpointState("ep", 6000);
    assert.deepEqual((await store.stats()).outbox, { records: 1, shed: 0, oldestAgeMs: 5000 });
    assert.deepEqual(await store.outboxStats(), { records: 1, shed: 0, oldestAgeMs: 5000 });
    await store.close();
  });

  it("goes on growing while the store is idle when it has a clock (the gateway's)", async () => {
    const clock = createManualClock(1000);
    const store = createEmbeddedStore({ localClock: clock });
    await store.syncEndpoints([testEndpoint("ep")]);
    const [id] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep"], now: 1000 })).deliveryIds;
    await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 1000 });
    await store.complete("w", [{ deliveryId: id ?? "", kind: "delivered", attempt: attemptAt(1000, 200) }], 1000);
    clock.advance(5000); // no store call meanwhile
    assert.deepEqual(await store.outboxStats(), { records: 1, shed: 0, oldestAgeMs: 5000 });
    clock.advance(5000);
    assert.deepEqual((await store.stats()).outbox, { records: 1, shed: 0, oldestAgeMs: 10_000 });
    await store.close();
  });
});

describe("embedded store at scale", () => {
  it("queues 100,000 deliveries over 1,000 endpoints and drains them fairly", async (t) => {
    const store = createEmbeddedStore();
    const endpoints = Array.from({ length: 1000 }, (_, i) => testEndpoint(`load-${i}`, { concurrency: 50 }));
    await store.syncEndpoints(endpoints);
    const now = 1_800_000_000_000;
    const envelope = testEnvelope();
    let started = performance.now();
    for (let i = 0; i < 100; i++) {
      // One message fanned out to every endpoint, like a popular event type.
      await store.enqueue({ envelope, endpointIds: endpoints.map((endpoint) => endpoint.id), now: now + i });
    }
    const enqueueMs = performance.now() - started;

    started = performance.now();
    let delivered = 0;
    let claims = 0;
    const firstRound = new Set<string>();
    for (let clock = now + 100; delivered < 100_000; clock++) {
      const { deliveries } = await store.claim({ workerId: "load", max: 500, leaseMs: 60_000, now: clock });
      claims += 1;
      if (claims <= 2) for (const delivery of deliveries) firstRound.add(delivery.endpointId);
      const results: CompletionResult[] = deliveries.map((delivery) => ({
        deliveryId: delivery.deliveryId,
        kind: "delivered",
        attempt: attemptAt(clock, 200),
      }));
      await store.complete("load", results, clock);
      delivered += results.length;
      assert.ok(claims < 1000, "claims keep making progress");
    }
    const drainMs = performance.now() - started;
    t.diagnostic(`enqueue ${enqueueMs.toFixed(0)} ms, claim+complete ${drainMs.toFixed(0)} ms in ${claims} claims`);
    // Fairness: the first two claims of 500 reached all 1,000 endpoints once.
    assert.equal(firstRound.size, 1000);
    assert.equal(
      (await store.stats()).endpoints.reduce((sum, state) => sum + state.queued + state.inFlight, 0),
      0,
    );
    await store.close();
  });
});
