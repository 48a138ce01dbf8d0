import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { usePrivateRedis } from "@hookyard/test-brokers";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore } from "./redis-store.js";

// enqueue.lua writes the schedule entries of a call's endpoints that may lease at once with one ZADD LT, and those
// held later (a rate limit, an open breaker, a 429's hold) one by one, as only a changed entry is worth a wake-up
// then. What each endpoint's entry becomes and what the wake-up names must not depend on which way it went.
describe("redis store: an enqueue call's schedule entries", () => {
  const own = usePrivateRedis();

  it("are set at the work's time with one ZADD, a held endpoint's at its eligible time; the wake-up names the earliest", async () => {
    const prefix = uniqueId("enqueue-schedule");
    const store = createRedisStore({ redis: own.server.url, prefix });
    const wakes: string[] = [];
    const unsubscribe = store.onWake((dueAt) => wakes.push(String(dueAt)));
    // A marker published on the wake channel: once it arrives, every wake-up published before it has too.
    const drained = async () => {
      const marker = `${Date.now() + 10 ** 9}`;
      const arrived = new Promise<void>((resolve) => {
        const stop = store.onWake((dueAt) => {
          if (String(dueAt) !== marker) return;
          stop();
          resolve();
        });
      });
      await own.admin.spublish(store.keys.wakeChannel, marker);
      await arrived;
      wakes.splice(wakes.indexOf(marker), 1);
    };
    const zadds = async () => Number(/^cmdstat_zadd:calls=(\d+)/m.exec(await own.admin.info("commandstats"))?.[1] ?? 0);
    const enqueueAll = (endpointIds: readonly string[], now: number) =>
      Promise.all(endpointIds.map((ep) => store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now })));
    try {
      const [a, b, c, early, limited] = ["a", "b", "c", "early", "limited"].map((name) => uniqueId(name)) as [
        string,
        string,
        string,
        string,
        string,
      ];
      await store.syncEndpoints([
        ...[a, b, c, early].map((ep) => testEndpoint(ep)),
        testEndpoint(limited, { rateLimit: { perSecond: 10, burst: 1 } }),
      ]);
      await drained(); // the wake subscription is live
      // `limited` leased at 1,000 and may lease again at 1,100 (10/s, no burst); `early` has work due at 500.
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [limited], now: 1_000 });
      assert.equal((await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 1_000 })).deliveries.length, 1);
      assert.equal(await own.admin.zscore(store.keys.schedule, limited), null, "nothing left to lease");
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [early], now: 500 });
      await drained();
      wakes.length = 0;

      await own.admin.config("RESETSTAT");
      await enqueueAll([limited], 1_050);
      assert.equal(await zadds(), 2, "its queue, then its schedule entry on its own");
      assert.equal(await own.admin.zscore(store.keys.schedule, limited), "1100");
      await drained();
      assert.deepEqual(wakes, ["1100"], "held by its rate limit: the wake-up names when it may lease");

      wakes.length = 0;
      await own.admin.config("RESETSTAT");
      await enqueueAll([a, b, c, early], 1_050); // concurrent calls: one script call
      assert.equal(await zadds(), 5, "four queues, then one ZADD for the four schedule entries");
      const scores = await Promise.all([a, b, c, early].map((ep) => own.admin.zscore(store.keys.schedule, ep)));
      assert.deepEqual(scores, ["1050", "1050", "1050", "500"], "an earlier entry is never moved later");
      await drained();
      assert.deepEqual(wakes, ["1050"]);
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1_050 });
      assert.equal(claimed.deliveries.length, 5, "early's two, a's, b's and c's; limited waits for 1,100");
      assert.equal(claimed.nextDueAt, 1_100);
    } finally {
      unsubscribe();
      await store.close();
    }
  });
});
