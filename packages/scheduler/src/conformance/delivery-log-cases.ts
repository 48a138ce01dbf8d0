import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import type { DeliveryLogStore, DeliveryQuery, DeliverySummary, SchedulerStore } from "../store.js";
import { attemptAt, claimAll, eventually, testEndpoint, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

function deliveryLog(store: SchedulerStore): DeliveryLogStore {
  assert.ok("queryDeliveries" in store, "the store must implement DeliveryLogStore (queryDeliveries)");
  return store as DeliveryLogStore;
}

async function enqueueEvent(
  store: SchedulerStore,
  endpointIds: string[],
  now: number,
  type = "order.created",
  eventId = uniqueId("evt"),
): Promise<string[]> {
  const envelope = createEnvelope({ id: eventId, source: "conformance", type, data: new Uint8Array([1]) });
  return [...(await store.enqueue({ envelope, endpointIds, now })).deliveryIds];
}

/** Every page of a query, following cursors. */
async function allPages(store: DeliveryLogStore, query: Omit<DeliveryQuery, "cursor">): Promise<DeliverySummary[]> {
  const found: DeliverySummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await store.queryDeliveries({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    found.push(...result.deliveries);
    if (result.nextCursor === undefined) return found;
    cursor = result.nextCursor;
  }
  throw new Error("too many pages");
}

/** Semantics 14: the delivery log. */
export function describeDeliveryLogCases(withStore: WithStore, t0: number): void {
  describe("14. delivery log", () => {
    it("lists newest first and pages with a cursor, without gaps or repeats", () =>
      withStore(async (store) => {
        const log = deliveryLog(store);
        const [a, b] = [uniqueId("ep"), uniqueId("ep")];
        await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
        const created: string[] = [];
        for (let i = 0; i < 12; i++) created.push(...(await enqueueEvent(store, [a, b], t0 + i)));
        const listed = await allPages(log, { endpointIds: [a, b], limit: 5 });
        assert.deepEqual(
          listed.map((d) => d.deliveryId),
          [...created].reverse(),
        );
        const first = await log.queryDeliveries({ endpointIds: [a], limit: 3 });
        assert.equal(first.deliveries.length, 3);
        assert.ok(first.nextCursor);
        assert.ok(first.deliveries.every((d) => d.endpointId === a && d.type === "order.created"));
        assert.ok((first.deliveries[0]?.createdAt ?? 0) >= (first.deliveries[2]?.createdAt ?? 0));
      }));

    it("filters by endpoint, event id, type, status and time range, alone and combined", () =>
      withStore(async (store) => {
        const log = deliveryLog(store);
        const [a, b] = [uniqueId("ep"), uniqueId("ep")];
        await store.syncEndpoints([testEndpoint(a), testEndpoint(b)]);
        const eventId = uniqueId("evt");
        const type = uniqueId("type");
        const [fanA, fanB] = await enqueueEvent(store, [a, b], t0, type, eventId);
        const [other] = await enqueueEvent(store, [a], t0 + 100, "order.paid");
        const [late] = await enqueueEvent(store, [b], t0 + 200, type);
        const claimed = await claimAll(store, t0 + 300);
        const results = claimed.map((c) =>
          c.deliveryId === fanA
            ? { deliveryId: c.deliveryId, kind: "dead" as const, attempt: attemptAt(t0 + 301, 500), reason: "boom" }
            : { deliveryId: c.deliveryId, kind: "delivered" as const, attempt: attemptAt(t0 + 301, 200) },
        );
        await store.complete("w1", results, t0 + 301);

        const ids = async (query: Omit<DeliveryQuery, "limit" | "cursor">) =>
          (await allPages(log, { ...query, limit: 50 })).map((d) => d.deliveryId);
        assert.deepEqual(await ids({ eventId }), [fanB, fanA]);
        assert.deepEqual(await ids({ type }), [late, fanB, fanA]);
        assert.deepEqual(await ids({ type, endpointIds: [b] }), [late, fanB]);
        assert.deepEqual(await ids({ endpointIds: [a] }), [other, fanA]);
        assert.deepEqual(await ids({ endpointIds: [a, b], status: "dead" }), [fanA]);
        assert.deepEqual(await ids({ endpointIds: [a, b], from: t0 + 100, before: t0 + 200 }), [other]);
        assert.deepEqual(await ids({ endpointIds: [a, b], status: "delivered", from: t0 + 1 }), [late, other]);
        assert.deepEqual(await ids({ eventId: uniqueId("none") }), []);

        const [dead] = (await log.queryDeliveries({ eventId, endpointIds: [a], limit: 1 })).deliveries;
        assert.equal(dead?.status, "dead");
        assert.equal(dead?.deadReason, "boom");
        assert.equal(dead?.eventId, eventId);
        assert.equal(dead?.lastAttempt?.status, 500);
        assert.equal(dead?.attempts, 1);
      }));

    it("replays many settled deliveries at once and leaves queued ones alone", () =>
      withStore(async (store) => {
        const log = deliveryLog(store);
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep)]);
        const settled = [...(await enqueueEvent(store, [ep], t0)), ...(await enqueueEvent(store, [ep], t0 + 1))];
        await claimAll(store, t0 + 2);
        await store.complete(
          "w1",
          settled.map((deliveryId) => ({ deliveryId, kind: "delivered" as const, attempt: attemptAt(t0 + 3, 200) })),
          t0 + 3,
        );
        const [queued] = await enqueueEvent(store, [ep], t0 + 4);
        assert.equal(await log.replayDeliveries([...settled, queued ?? "", uniqueId("nope")], t0 + 5), 2);
        const page = await log.queryDeliveries({ endpointIds: [ep], status: "queued", limit: 10 });
        assert.equal(page.deliveries.length, 3);
        assert.ok(page.deliveries.every((d) => d.attempts === 0));
      }));

    it("drops deliveries from the log once retention has removed them", () =>
      withStore(
        async (store) => {
          const log = deliveryLog(store);
          const ep = uniqueId("ep");
          await store.syncEndpoints([testEndpoint(ep)]);
          const [gone] = await enqueueEvent(store, [ep], t0);
          const [kept] = await enqueueEvent(store, [ep], t0 + 1);
          await claimAll(store, t0 + 2, { max: 1 });
          await store.complete(
            "w1",
            [{ deliveryId: gone ?? "", kind: "delivered", attempt: attemptAt(t0 + 3, 200) }],
            t0 + 3,
          );
          let now = t0 + 3;
          await eventually("the delivered delivery to leave the log", async () => {
            now += 1000;
            await store.claim({ workerId: "w2", max: 0, leaseMs: 1000, now });
            await log.trimDeliveryIndex(100);
            const listed = await log.queryDeliveries({ endpointIds: [ep], limit: 10 });
            return listed.deliveries.length === 1;
          });
          const listed = await log.queryDeliveries({ limit: 10, endpointIds: [ep] });
          assert.deepEqual(
            listed.deliveries.map((d) => d.deliveryId),
            [kept],
          );
        },
        { retentionMs: 100 },
      ));
  });
}
