import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { usePrivateRedis } from "@hookyard/test-brokers";
import type { Redis } from "ioredis";
import type { ClaimedDelivery, CompletionResult } from "../store.js";
import { attemptAt, testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore } from "./redis-store.js";

/** Script calls (FCALL, EVALSHA or EVAL) since the last CONFIG RESETSTAT. */
async function scriptCalls(admin: Redis): Promise<number> {
  const stats = await admin.info("commandstats");
  let calls = 0;
  for (const m of stats.matchAll(/^cmdstat_(fcall|evalsha|eval):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

describe("a worker's complete riding with its claim", () => {
  const own = usePrivateRedis();

  type Store = ReturnType<typeof createRedisStore>;

  /**
   * Two deliveries of a concurrency-1 endpoint, the first leased by worker "w" at 2: `body` gets the store, the
   * lease, and that lease's delivered result at 3 (with its fencing token).
   */
  async function withFirstLeased(
    body: (store: Store, first: ClaimedDelivery, delivered: CompletionResult) => Promise<void>,
  ) {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueId("ride") });
    try {
      const ep = uniqueId("ep");
      // One at a time: the second delivery can only be leased once the first has settled.
      await store.syncEndpoints([testEndpoint(ep, { concurrency: 1 })]);
      for (let i = 0; i < 2; i++) await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 });
      const [first] = (await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 2 })).deliveries;
      assert.ok(first);
      const delivered: CompletionResult = {
        deliveryId: first.deliveryId,
        kind: "delivered",
        attempt: attemptAt(3, 200),
        leaseToken: first.leaseToken,
      };
      await body(store, first, delivered);
    } finally {
      await store.close();
    }
  }

  it("settles first and leases in the same script call when both are made in one turn", () =>
    withFirstLeased(async (store, first, delivered) => {
      await own.admin.config("RESETSTAT");
      const completing = store.complete("w", [delivered], 3);
      const claiming = store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 3 });
      const [report, claimed] = await Promise.all([completing, claiming]);
      assert.deepEqual(report, { applied: 1, stale: [] });
      assert.equal(claimed.deliveries.length, 1, "the claim saw the slot the complete freed");
      assert.notEqual(claimed.deliveries[0]?.deliveryId, first.deliveryId);
      assert.equal(await scriptCalls(own.admin), 1);
    }));

  it("keeps a riding complete's result when the claim it rode in fails", () =>
    withFirstLeased(async (store, _first, delivered) => {
      const completing = store.complete("w", [delivered], 3);
      // A claim the script cannot run (its LIMIT is not a number): it fails after the settle was applied.
      const claiming = store.claim({ workerId: "w", max: Number.NaN, leaseMs: 60_000, now: 3 });
      await assert.rejects(claiming);
      assert.deepEqual(await completing, { applied: 1, stale: [] });
      const next = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 4 });
      assert.equal(next.deliveries.length, 1, "the settle freed the endpoint's slot");
    }));

  it("sends a complete alone when no claim of its worker comes in the same turn", () =>
    withFirstLeased(async (store, _first, delivered) => {
      await own.admin.config("RESETSTAT");
      const completing = store.complete("w", [delivered], 3);
      // Another worker's claim: the endpoint's one slot is still taken when it runs (it is not combined).
      const other = await store.claim({ workerId: "other", max: 10, leaseMs: 60_000, now: 3 });
      assert.deepEqual(await completing, { applied: 1, stale: [] });
      assert.equal(other.deliveries.length, 0);
      assert.equal(await scriptCalls(own.admin), 2);
    }));
});
