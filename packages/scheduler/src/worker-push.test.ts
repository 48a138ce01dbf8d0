import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "@hookyard/core";
import { usePrivateRedis } from "@hookyard/test-brokers";
import { createManualClock } from "./clock.js";
import { eventually, testEndpoint, testEnvelope, uniqueId } from "./conformance/fixtures.js";
import { createRedisStore } from "./redis/redis-store.js";
import type { SchedulerStore } from "./store.js";
import { createFakeSender, hang, outcomes, type Respond } from "./worker/fake-sender.js";
import { createWorker } from "./worker.js";

describe("worker: pushed leases (Redis store)", () => {
  const own = usePrivateRedis();
  /** Endpoints the last test's sender hangs for (set once the endpoint's id is known). */
  const hangingEndpoints = new Set<string>();
  const t0 = Math.floor(Date.now() / 1000) * 1000;

  /** A started worker on endpoints `ep` and `other` of a fresh store, counting its claims and what was pushed to it. */
  async function withWorker(
    respond: Respond,
    body: (t: {
      store: SchedulerStore;
      ep: string;
      other: string;
      clock: ReturnType<typeof createManualClock>;
      counts: { claims: number; pushed: number; givenBack: number };
      calls: ReturnType<typeof createFakeSender>["calls"];
    }) => Promise<void>,
  ) {
    const store = createRedisStore({ redis: own.server.url, prefix: uniqueId("wpush") });
    const clock = createManualClock(t0);
    const endpoint: Endpoint = testEndpoint(uniqueId("ep"));
    const other: Endpoint = testEndpoint(uniqueId("ep"));
    await store.syncEndpoints([endpoint, other]);
    const counts = { claims: 0, pushed: 0, givenBack: 0 };
    const { send, calls } = createFakeSender(clock, respond);
    const worker = createWorker({
      store: {
        ...store,
        async claim(request) {
          const result = await store.claim(request);
          counts.claims += 1; // counted once done: the first one registers the worker when it returns
          return result;
        },
      },
      send,
      endpoints: (id) => [endpoint, other].find((known) => known.id === id),
      clock,
      maxIdleMs: 60_000,
      flushLingerMs: 1,
      slowSendMs: 1000,
      observer: {
        onPushed(taken, released) {
          counts.pushed += taken;
          counts.givenBack += released;
        },
      },
    });
    worker.start();
    try {
      await eventually("the first claim", async () => counts.claims === 1);
      await body({ store, ep: endpoint.id, other: other.id, clock, counts, calls });
    } finally {
      await worker.stop({ graceMs: 0 });
      await store.close();
    }
  }

  it("sends what an enqueue pushes while it waits, without a claim per delivery", () =>
    withWorker(
      (call) => outcomes.ok(call.at),
      async ({ store, ep, clock, counts }) => {
        for (let round = 1; round <= 3; round++) {
          const { deliveryIds } = await store.enqueue({
            envelope: testEnvelope(),
            endpointIds: [ep],
            now: clock.now(),
          });
          const id = deliveryIds[0] as string;
          await eventually("the pushed delivery settled", async () => (await store.getDelivery(id)) === undefined);
        }
        assert.deepEqual([counts.pushed, counts.claims], [3, 1]);
        assert.equal(counts.claims, 1, "only the claim that registered the worker");
      },
    ));

  it("gives back a pushed delivery its limits would not have claimed (an endpoint with a stuck send)", () =>
    withWorker(hang, async ({ store, ep, clock, counts, calls }) => {
      const first = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: clock.now() });
      await eventually("the first send", async () => calls.length === 1);
      assert.equal(calls[0]?.deliveryId, first.deliveryIds[0]);
      clock.advance(2000); // past slowSendMs: the endpoint's send is stuck
      const second = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: clock.now() });
      const id = second.deliveryIds[0] as string;
      await eventually("the second given back", async () => counts.givenBack === 1);
      await eventually("queued again", async () => (await store.getDelivery(id))?.status === "queued");
      assert.equal(calls.length, 1, "nothing more sent to the stuck endpoint");
      await eventually("a claim with the worker's limits", async () => counts.claims >= 2);
      assert.equal((await store.getDelivery(id))?.status, "queued", "its claim gave the stuck endpoint no room");
    }));

  it("keeps taking pushes for the other endpoints while one is stuck, without a claim per delivery", () =>
    withWorker(
      (call) => (hangingEndpoints.has(call.endpointId) ? hang(call) : outcomes.ok(call.at)),
      async ({ store, ep, other, clock, counts, calls }) => {
        hangingEndpoints.add(ep);
        await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: clock.now() });
        await eventually("the first send", async () => calls.length === 1);
        clock.advance(2000); // past slowSendMs: the endpoint's send is stuck
        const held = await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: clock.now() });
        await eventually("given back, then a claim that gives the stuck endpoint no room", async () => {
          return counts.givenBack === 1 && counts.claims >= 2;
        });
        const claims = counts.claims;
        for (let round = 1; round <= 3; round++) {
          const { deliveryIds } = await store.enqueue({
            envelope: testEnvelope(),
            endpointIds: [other],
            now: clock.now(),
          });
          const id = deliveryIds[0] as string;
          await eventually("the pushed delivery settled", async () => (await store.getDelivery(id)) === undefined);
        }
        assert.equal(counts.pushed, 4, "the stuck endpoint's first delivery and the other endpoint's three");
        assert.equal(counts.claims, claims, "no claim: neither a wake-up nor a result of the stuck endpoint");
        assert.equal((await store.getDelivery(held.deliveryIds[0] as string))?.status, "queued");
      },
    ));
});
