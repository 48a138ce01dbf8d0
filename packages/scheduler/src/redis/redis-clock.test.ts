import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { DeliveryOutcome } from "@hookyard/core";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { type Clock, systemClock } from "../clock.js";
import { attemptAt, testEndpoint, testEnvelope, uniqueId } from "../conformance/fixtures.js";
import { createWorker } from "../worker.js";
import { createRedisStore, type RedisSchedulerStore } from "./redis-store.js";

const brokers = requireBrokers("redis");
const admin = new Redis(brokers.redisUrl);
after(() => admin.disconnect());

const SKEW_MS = 5 * 60 * 1000;
/**
 * How far two instances' readings of Redis time may differ: each offset is exact to half a round trip, which a
 * loaded machine stretches. A tolerance, not a timing window: the skew it tells apart is 60 times larger.
 */
const TOLERANCE_MS = 5000;

/** This host's clock moved by `offsetMs`: what an instance on a host with a wrong clock sees. */
function skewedClock(offsetMs: number): Clock {
  return { now: () => systemClock.now() + offsetMs, setTimer: systemClock.setTimer };
}

/** Two instances of one deployment (same prefix), one on a host whose clock is off by `skewMs`. */
async function openPair(skewMs: number): Promise<{ steady: RedisSchedulerStore; skewed: RedisSchedulerStore }> {
  const prefix = uniqueName("hyclk");
  const steady = createRedisStore({ redis: brokers.redisUrl, prefix });
  const skewed = createRedisStore({ redis: brokers.redisUrl, prefix, localClock: skewedClock(skewMs) });
  await Promise.all([steady.clock.sync(), skewed.clock.sync()]);
  return { steady, skewed };
}

async function closePair(pair: { steady: RedisSchedulerStore; skewed: RedisSchedulerStore }): Promise<void> {
  const prefix = pair.steady.keys.base;
  await Promise.all([pair.steady.close(), pair.skewed.close()]);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.unlink(...keys);
}

describe("one clock: an instance with a skewed host clock schedules on Redis time", () => {
  it("measures its offset to Redis time: the skew is taken out", async () => {
    const pair = await openPair(SKEW_MS);
    try {
      // The skewed instance's offset cancels its host's skew (up to the round trip): it is about -5 min.
      assert.ok(pair.skewed.clock.offsetMs < -SKEW_MS / 2, `offset ${pair.skewed.clock.offsetMs} ms`);
      assert.ok(Math.abs(pair.steady.clock.offsetMs) < SKEW_MS / 2, `offset ${pair.steady.clock.offsetMs} ms`);
    } finally {
      await closePair(pair);
    }
  });

  it("an enqueue on a host 5 min ahead is due now for the others, not in 5 minutes", async () => {
    const pair = await openPair(SKEW_MS);
    try {
      const ep = uniqueId("ep");
      await pair.steady.syncEndpoints([testEndpoint(ep)]);
      const { deliveryIds } = await pair.skewed.enqueue({
        envelope: testEnvelope(),
        endpointIds: [ep],
        now: pair.skewed.clock.now(),
      });
      const { deliveries } = await pair.steady.claim({
        workerId: "steady",
        max: 10,
        leaseMs: 60_000,
        now: pair.steady.clock.now() + TOLERANCE_MS,
      });
      assert.deepEqual(
        deliveries.map((d) => d.deliveryId),
        deliveryIds,
      );
    } finally {
      await closePair(pair);
    }
  });

  it("a host 5 min ahead cannot take over a lease another instance still holds", async () => {
    const pair = await openPair(SKEW_MS);
    try {
      const ep = uniqueId("ep");
      await pair.steady.syncEndpoints([testEndpoint(ep)]);
      await pair.steady.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: pair.steady.clock.now() });
      const held = await pair.steady.claim({
        workerId: "steady",
        max: 10,
        leaseMs: 60_000,
        now: pair.steady.clock.now(),
      });
      assert.equal(held.deliveries.length, 1);
      // On its own clock the lease expired 4 minutes ago; on Redis time it has a minute to run.
      const taken = await pair.skewed.claim({
        workerId: "skewed",
        max: 10,
        leaseMs: 60_000,
        now: pair.skewed.clock.now() + TOLERANCE_MS,
      });
      assert.deepEqual(taken.deliveries, []);
      const info = await pair.steady.getDelivery(held.deliveries[0]?.deliveryId ?? "");
      assert.deepEqual([info?.status, info?.attempts], ["leased", 1]);
    } finally {
      await closePair(pair);
    }
  });

  it("a worker on a host 5 min behind schedules its retry on Redis time, and its leases are not already expired", async () => {
    const pair = await openPair(-SKEW_MS);
    const skewedStore = pair.skewed;
    try {
      const ep = uniqueId("ep");
      const endpoint = testEndpoint(ep, {
        retry: { scheduleMs: [0, 60_000], jitter: 0, maxRetryAfterMs: 60_000, minThrottleDelayMs: 0 },
      });
      await pair.steady.syncEndpoints([endpoint]);
      const { deliveryIds } = await pair.steady.enqueue({
        envelope: testEnvelope(),
        endpointIds: [ep],
        now: pair.steady.clock.now(),
      });
      let leasedWhileSending: readonly unknown[] | undefined;
      const worker = createWorker({
        store: skewedStore,
        clock: skewedStore.clock,
        endpoints: (id) => (id === ep ? endpoint : undefined),
        async send(claimed): Promise<DeliveryOutcome> {
          // While this (skewed) worker sends, another instance finds nothing to take over.
          const other = await pair.steady.claim({
            workerId: "steady",
            max: 10,
            leaseMs: 60_000,
            now: pair.steady.clock.now() + TOLERANCE_MS,
          });
          leasedWhileSending = other.deliveries;
          return { kind: "retry", attempt: attemptAt(Number(claimed.createdAt), 500) };
        },
      });
      const report = await worker.runOnce();
      await worker.stop({ graceMs: 0 });
      assert.equal(report.claimed, 1);
      assert.deepEqual(leasedWhileSending, [], "the skewed worker's lease was not born expired");
      // The retry is due a minute from now on Redis time: not claimable now, claimable a minute on.
      const now = pair.steady.clock.now();
      const early = await pair.steady.claim({ workerId: "steady", max: 10, leaseMs: 60_000, now: now + TOLERANCE_MS });
      assert.deepEqual(early.deliveries, []);
      const due = await pair.steady.claim({
        workerId: "steady",
        max: 10,
        leaseMs: 60_000,
        now: now + 60_000 + TOLERANCE_MS,
      });
      assert.deepEqual(
        due.deliveries.map((d) => d.deliveryId),
        deliveryIds,
      );
    } finally {
      await closePair(pair);
    }
  });
});
