import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { usePrivateRedis } from "@hookyard/test-brokers";
import type { ClaimedDelivery } from "../store.js";
import { attemptAt, testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore, ENVELOPE_AHEAD_MIN_BYTES } from "./redis-store.js";

type Store = ReturnType<typeof createRedisStore>;

describe("pushed leases: an enqueue leases new deliveries to a waiting worker", () => {
  const own = usePrivateRedis();

  /** A store whose worker "w" takes pushes; `pushed` collects what arrives, `wakes` the wake-ups. */
  async function withPushStore(
    body: (t: {
      store: Store;
      prefix: string;
      pushed: ClaimedDelivery[][];
      wakes: string[];
      /** Resolves once every message published before it has reached this store's subscriber. */
      drained(): Promise<void>;
      stopPush(): void;
    }) => Promise<void>,
  ) {
    const prefix = uniqueId("push");
    const store = createRedisStore({ redis: own.server.url, prefix });
    const pushed: ClaimedDelivery[][] = [];
    const wakes: string[] = [];
    const stopPush = store.onPush?.("w", (deliveries) => pushed.push([...deliveries]), { idleTtlMs: 10_000 });
    assert.ok(stopPush, "a store on one Redis pushes");
    const unsubscribe = store.onWake((dueAt) => wakes.push(String(dueAt)));
    // A marker on the wake channel, published after everything the test did: its arrival means the messages
    // before it have arrived too (one subscriber connection, in order).
    const drained = async () => {
      const marker = `${Date.now() + 10 ** 9}`;
      const arrived = new Promise<void>((resolve) => {
        const stop = store.onWake((dueAt) => {
          if (String(dueAt) === marker) {
            stop();
            resolve();
          }
        });
      });
      await own.admin.spublish(`{${prefix}}:wake`, marker);
      await arrived;
      wakes.splice(wakes.indexOf(marker), 1);
    };
    try {
      await body({ store, prefix, pushed, wakes, drained, stopPush });
    } finally {
      unsubscribe();
      await store.close();
    }
  }

  it("pushes a new delivery to a worker whose claim left it room: no wake-up, no claim; fenced like a claim", () =>
    withPushStore(async ({ store, pushed, wakes, drained }) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      assert.equal((await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1 })).deliveries.length, 0);
      const envelope = testEnvelope();
      const { deliveryIds } = await store.enqueue({ envelope, endpointIds: [ep], now: 2 });
      await drained();
      assert.equal(pushed.length, 1);
      const [lease] = pushed[0] ?? [];
      assert.ok(lease);
      assert.equal(lease.deliveryId, deliveryIds[0]);
      assert.equal(lease.endpointId, ep);
      assert.equal(lease.attempt, 1);
      assert.equal(lease.createdAt, 2);
      assert.deepEqual(lease.envelope, envelope, "the envelope arrives byte-exact");
      assert.deepEqual(wakes, [], "no wake-up: the work went with the push");
      assert.equal((await store.getDelivery(lease.deliveryId))?.status, "leased");
      // Fenced: a result under another token is stale; the pushed lease's own token settles it.
      const stale = await store.complete(
        "w",
        [{ deliveryId: lease.deliveryId, kind: "delivered", attempt: attemptAt(3, 200), leaseToken: "other" }],
        3,
      );
      assert.deepEqual(stale.stale, [lease.deliveryId]);
      const applied = await store.complete(
        "w",
        [{ deliveryId: lease.deliveryId, kind: "delivered", attempt: attemptAt(3, 200), leaseToken: lease.leaseToken }],
        3,
      );
      assert.equal(applied.applied, 1);
      assert.equal((await store.stats()).endpoints.find((e) => e.endpointId === ep)?.inFlight, 0);
    }));

  it("pushes at most the worker's room and its endpoint room, and nothing ahead of work already queued", () =>
    withPushStore(async ({ store, pushed, wakes, drained }) => {
      const [ep1, ep2] = [uniqueId("ep"), uniqueId("ep")];
      await store.syncEndpoints([testEndpoint(ep1), testEndpoint(ep2)]);
      // Room 3 in all, 1 per endpoint.
      await store.claim({ workerId: "w", max: 3, leaseMs: 60_000, now: 1, endpointRoom: 1 });
      // One turn: one script call, in this order.
      const [a, b, c] = await Promise.all(
        [ep1, ep1, ep2].map((ep) => store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 2 })),
      );
      const d = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep1], now: 3 });
      await drained();
      const ids = pushed.flat().map((lease) => lease.deliveryId);
      assert.deepEqual(ids, [a?.deliveryIds[0], c?.deliveryIds[0]], "b waits behind a's endpoint room, d behind b");
      assert.ok(wakes.length > 0, "what was queued woke the workers");
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 4 });
      assert.deepEqual(
        claimed.deliveries.map((lease) => lease.deliveryId),
        [b?.deliveryIds[0], d.deliveryIds[0]],
      );
    }));

  it("pushes with their envelopes the leases of a batch whose envelopes were written ahead of the script", () =>
    withPushStore(async ({ store, pushed, drained }) => {
      // Twelve large messages in one turn: one call, large enough that the store writes the envelopes with HSETs ahead
      // of the script (redis-store.ts, enqueueScript), which reads back those it pushes.
      const eps = Array.from({ length: 12 }, () => uniqueId("ep"));
      await store.syncEndpoints(eps.map((ep) => testEndpoint(ep)));
      await store.claim({ workerId: "w", max: 5, leaseMs: 60_000, now: 1 });
      const envelopes = eps.map(() => testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES));
      const fanned = testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES);
      const results = await Promise.all([
        ...eps.map((ep, i) => store.enqueue({ envelope: envelopes[i] ?? testEnvelope(), endpointIds: [ep], now: 2 })),
        store.enqueue({ envelope: fanned, endpointIds: [eps[0] ?? "", eps[1] ?? ""], now: 2 }),
      ]);
      await drained();
      const leases = pushed.flat();
      assert.equal(leases.length, 5, "the worker's room");
      for (const lease of leases) {
        const i = results.findIndex((r) => r.deliveryIds.includes(lease.deliveryId));
        assert.deepEqual(lease.envelope, envelopes[i], "each pushed lease carries its own envelope, byte-exact");
      }
      const claimed = await store.claim({ workerId: "w2", max: 100, leaseMs: 60_000, now: 3 });
      const rest = results.flatMap((r) => r.deliveryIds).filter((id) => !leases.some((l) => l.deliveryId === id));
      assert.deepEqual(claimed.deliveries.map((d) => d.deliveryId).sort(), rest.sort());
      for (const lease of claimed.deliveries) {
        const i = results.findIndex((r) => r.deliveryIds.includes(lease.deliveryId));
        assert.deepEqual(lease.envelope, i === eps.length ? fanned : envelopes[i]);
      }
    }));

  it("queues instead when nobody receives the push (the worker went away), and forgets that worker", () =>
    withPushStore(async ({ store, prefix, pushed, drained, stopPush }) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1 });
      assert.equal(await own.admin.hexists(`{${prefix}}:idle`, "w"), 1, "registered by its claim");
      stopPush();
      await drained();
      const { deliveryIds } = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 2 });
      await drained();
      assert.deepEqual(pushed, []);
      assert.equal(await own.admin.hexists(`{${prefix}}:idle`, "w"), 0);
      assert.equal((await store.getDelivery(deliveryIds[0] as string))?.status, "queued");
      const claimed = await store.claim({ workerId: "v", max: 10, leaseMs: 60_000, now: 3 });
      assert.deepEqual(
        claimed.deliveries.map((lease) => [lease.deliveryId, lease.attempt]),
        [[deliveryIds[0], 1]],
      );
    }));

  it("pushes nothing to a registration past its time, nor for an endpoint that may not lease at once", () =>
    withPushStore(async ({ store, prefix, pushed, drained }) => {
      const [limited, ordered, plain] = [uniqueId("ep"), uniqueId("ep"), uniqueId("ep")];
      await store.syncEndpoints([
        testEndpoint(limited, { rateLimit: { perSecond: 1, burst: 1 } }),
        testEndpoint(ordered, { orderedByKey: true }),
        testEndpoint(plain),
      ]);
      await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1 });
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [limited], now: 2 });
      await store.enqueue({ envelope: testEnvelope("k"), endpointIds: [ordered], now: 2 });
      await drained();
      assert.deepEqual(pushed, [], "a rate-limited or ordered endpoint goes through the schedule");
      // Registered until 1 + 10,000 (idleTtlMs): an enqueue after that finds the registration stale.
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [plain], now: 20_000 });
      await drained();
      assert.deepEqual(pushed, []);
      assert.equal(await own.admin.hexists(`{${prefix}}:idle`, "w"), 0, "the stale registration is dropped");
    }));

  it("takes a worker out when its claim leaves no room", () =>
    withPushStore(async ({ store, prefix }) => {
      const ep = uniqueId("ep");
      await store.syncEndpoints([testEndpoint(ep)]);
      await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1 });
      assert.equal(await own.admin.hexists(`{${prefix}}:idle`, "w"), 1);
      // Nothing pushed meanwhile: this claim gives the endpoint no room.
      await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 2, rooms: new Map([[ep, 0]]) });
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 3 });
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 3 });
      const full = await store.claim({ workerId: "w", max: 1, leaseMs: 60_000, now: 4 });
      assert.equal(full.deliveries.length, 1);
      assert.equal(await own.admin.hexists(`{${prefix}}:idle`, "w"), 0, "out: its claim filled what it asked for");
      const partial = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 5 });
      assert.equal(partial.deliveries.length, 1);
      assert.match((await own.admin.hget(`{${prefix}}:idle`, "w")) ?? "", /^10005\|9\|60000\|10$/);
    }));

  it("keeps a worker that restricts endpoints and pushes within the rooms its claim listed", () =>
    withPushStore(async ({ store, prefix, pushed, wakes, drained }) => {
      const [stuck, slow, healthy] = [uniqueId("ep"), uniqueId("ep"), uniqueId("ep")];
      await store.syncEndpoints([stuck, slow, healthy].map((ep) => testEndpoint(ep)));
      // A stuck endpoint gets nothing more from this worker, a slow one one more; the others up to 3 each.
      const rooms = new Map([
        [stuck, 0],
        [slow, 1],
      ]);
      await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 1, rooms, endpointRoom: 3 });
      assert.match((await own.admin.hget(`{${prefix}}:idle`, "w")) ?? "", /^10001\|10\|60000\|3\|r$/);
      assert.deepEqual(await own.admin.hgetall(`{${prefix}}:idle:w`), { [stuck]: "0", [slow]: "1" });
      assert.ok((await own.admin.pttl(`{${prefix}}:idle:w`)) > 0, "expires with the registration");
      // One turn: one script call.
      const results = await Promise.all(
        [stuck, slow, slow, healthy, healthy].map((ep) =>
          store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 2 }),
        ),
      );
      const [toStuck, slow1, slow2, healthy1, healthy2] = results.map((r) => r.deliveryIds[0]);
      await drained();
      assert.deepEqual(
        pushed.flat().map((lease) => lease.deliveryId),
        [slow1, healthy1, healthy2],
        "the slow endpoint's room of 1, the healthy one's 3; nothing for the stuck one",
      );
      assert.ok(wakes.length > 0, "what was queued woke the workers");
      assert.match((await own.admin.hget(`{${prefix}}:idle`, "w")) ?? "", /^10001\|7\|60000\|3\|r$/, "room left");
      // A later claim that lists nothing clears the restriction: the next enqueue for the stuck endpoint is pushed
      // (behind nothing: its queued deliveries are claimed first).
      const claimed = await store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 3 });
      assert.deepEqual(claimed.deliveries.map((lease) => lease.deliveryId).sort(), [toStuck, slow2].sort());
      assert.match((await own.admin.hget(`{${prefix}}:idle`, "w")) ?? "", /^10003\|8\|60000\|10$/);
      const next = await store.enqueue({ envelope: testEnvelope(), endpointIds: [stuck], now: 4 });
      await drained();
      assert.equal(pushed.flat().at(-1)?.deliveryId, next.deliveryIds[0]);
    }));

  it("is not offered by a store another process's worker cannot reach (a sharded store)", async () => {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueId("push"), shards: 2 });
    try {
      assert.equal(store.onPush, undefined);
    } finally {
      await store.close();
    }
  });
});
