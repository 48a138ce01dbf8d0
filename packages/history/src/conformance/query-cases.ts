import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import type { SettledDelivery } from "../history-store.js";
import { allPages, binaryEnvelope, idsOf, jsonEnvelope, settled, uniqueId } from "./fixtures.js";
import type { WithHistory } from "./harness.js";

const isQueryInvalid = (error: unknown) => error instanceof HookyardError && error.code === "QUERY_INVALID";

/** Semantics 4: the delivery log over history, its filters and keyset paging. */
export function describeQueryCases(withHistory: WithHistory, t0: number): void {
  describe("4. queries", () => {
    it("lists newest first by creation and pages without gaps or repeats, also while writes go on", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        // Equal creation times too: the delivery id breaks the tie.
        const batch = Array.from({ length: 30 }, (_, i) => settled(t0 + Math.floor(i / 3), { endpointId }));
        await store.write({ deliveries: batch });
        const expected = [...batch].sort((a, b) => b.createdAt - a.createdAt || (a.deliveryId < b.deliveryId ? 1 : -1));
        const first = await store.queryDeliveries({ endpointIds: [endpointId], limit: 4 });
        assert.deepEqual(idsOf(first.deliveries), idsOf(expected.slice(0, 4)));
        assert.ok(first.nextCursor);
        // Newer records written between pages do not shift the pages that follow.
        await store.write({ deliveries: [settled(t0 + 1_000, { endpointId })] });
        const rest: string[] = [];
        let cursor: string | undefined = first.nextCursor;
        while (cursor !== undefined) {
          const page = await store.queryDeliveries({ endpointIds: [endpointId], limit: 4, cursor });
          rest.push(...idsOf(page.deliveries));
          cursor = page.nextCursor;
        }
        assert.deepEqual(rest, idsOf(expected.slice(4)));
        const summary = first.deliveries[0];
        const source = expected[0] as SettledDelivery;
        assert.deepEqual(summary, {
          deliveryId: source.deliveryId,
          messageId: source.messageId,
          endpointId,
          status: "delivered",
          attempts: 1,
          createdAt: source.createdAt,
          eventId: source.envelope.id,
          type: "order.created",
          lastAttempt: { startedAt: new Date(source.createdAt + 50).toISOString(), durationMs: 13, status: 200 },
        });
      }));

    it("filters by endpoints, owner, status, event id, type (exact and globs) and created range, combined with AND", () =>
      withHistory(async (store) => {
        const [a, b, c] = [uniqueId("ep"), uniqueId("ep"), uniqueId("ep")];
        const owner = uniqueId("owner");
        const evt = uniqueId("evt");
        const rows = [
          settled(t0, { endpointId: a, owner, envelope: jsonEnvelope("invoice.paid", {}, evt) }),
          settled(t0 + 10, { endpointId: b, owner, envelope: jsonEnvelope("invoice.paid", {}, evt), status: "dead" }),
          settled(t0 + 20, { endpointId: a, owner, envelope: jsonEnvelope("invoice.payment.failed", {}) }),
          settled(t0 + 30, { endpointId: c, owner: "other", envelope: jsonEnvelope("invoice.paid", {}) }),
          settled(t0 + 40, { endpointId: a, owner, envelope: jsonEnvelope("customer.created", {}) }),
        ];
        await store.write({ deliveries: rows });
        const ids = (i: number[]) => i.map((n) => rows[n]?.deliveryId);
        const q = async (query: Parameters<typeof allPages>[1]) => idsOf(await allPages(store, { limit: 2, ...query }));
        assert.deepEqual(await q({ owner }), ids([4, 2, 1, 0]));
        assert.deepEqual(await q({ endpointIds: [a, b] }), ids([4, 2, 1, 0]));
        assert.deepEqual(await q({ endpointIds: [a, c], owner }), ids([4, 2, 0]));
        assert.deepEqual(await q({ owner, status: "dead" }), ids([1]));
        assert.deepEqual(await q({ owner, status: "delivered" }), ids([4, 2, 0]));
        assert.deepEqual(await q({ owner, status: "queued" }), []);
        assert.deepEqual(await q({ eventId: evt }), ids([1, 0]));
        assert.deepEqual(await q({ eventId: evt, endpointIds: [b] }), ids([1]));
        assert.deepEqual(await q({ owner, type: "invoice.paid" }), ids([1, 0]));
        assert.deepEqual(await q({ owner, type: "invoice.*" }), ids([1, 0]));
        assert.deepEqual(await q({ owner, type: "invoice.**" }), ids([2, 1, 0]));
        assert.deepEqual(await q({ owner, type: "*.created" }), ids([4]));
        assert.deepEqual(await q({ owner, type: "**" }), ids([4, 2, 1, 0]));
        assert.deepEqual(await q({ owner, type: "invoice" }), []);
        assert.deepEqual(await q({ owner, from: t0 + 10, before: t0 + 40 }), ids([2, 1]));
        assert.deepEqual(await q({ endpointIds: [a], from: t0 + 20 }), ids([4, 2]));
        assert.deepEqual(await q({ endpointIds: [a], before: t0 + 20 }), ids([0]));
        assert.deepEqual(await q({ owner, type: "invoice.**", status: "delivered", from: t0 + 1 }), ids([2]));
      }));

    it("finds payloads by JSON containment; payloads that are not JSON never match", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const customer = uniqueId("cus");
        const rows = [
          settled(t0, {
            endpointId,
            envelope: jsonEnvelope("order.created", { customer: { id: customer, tier: "gold" }, items: [1, 2, 3] }),
          }),
          settled(t0 + 1, {
            endpointId,
            envelope: jsonEnvelope("order.created", { customer: { id: customer }, items: [3] }),
          }),
          settled(t0 + 2, {
            endpointId,
            envelope: jsonEnvelope("order.created", { customer: { id: "someone-else" } }),
          }),
          settled(t0 + 3, { endpointId, envelope: binaryEnvelope() }),
          settled(t0 + 4, { endpointId, envelope: jsonEnvelope("order.created", [customer, "x"]) }),
        ];
        await store.write({ deliveries: rows });
        const q = async (payloadContains: Parameters<typeof allPages>[1]["payloadContains"]) =>
          idsOf(
            await allPages(store, {
              endpointIds: [endpointId],
              limit: 1,
              ...(payloadContains === undefined ? {} : { payloadContains }),
            }),
          );
        const ids = (i: number[]) => i.map((n) => rows[n]?.deliveryId);
        assert.deepEqual(await q({ customer: { id: customer } }), ids([1, 0]));
        assert.deepEqual(await q({ customer: { id: customer, tier: "gold" } }), ids([0]));
        assert.deepEqual(await q({ items: [3, 1] }), ids([0]));
        assert.deepEqual(await q({ items: [3] }), ids([1, 0]));
        assert.deepEqual(await q({}), ids([2, 1, 0]));
        assert.deepEqual(await q([customer]), ids([4]));
        assert.deepEqual(await q(customer), ids([4]));
        assert.deepEqual(await q({ customer: { id: uniqueId("none") } }), []);
      }));

    it("lists oldest first on request, paging without gaps or repeats, also with filters and payload search", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const second = uniqueId("ep");
        const tag = uniqueId("tag");
        // Equal creation times too; every third payload carries the tag, two types for a glob; every fourth row
        // on a second endpoint (several endpoints are merged from one scan each on PostgreSQL).
        const batch = Array.from({ length: 24 }, (_, i) =>
          settled(t0 + Math.floor(i / 3), {
            endpointId: i % 4 === 3 ? second : endpointId,
            envelope: jsonEnvelope(i % 2 === 0 ? "order.created" : "order.paid", {
              n: i,
              ...(i % 3 === 0 ? { tag } : {}),
            }),
          }),
        );
        await store.write({ deliveries: batch });
        const oldest = [...batch].sort((a, b) => a.createdAt - b.createdAt || (a.deliveryId < b.deliveryId ? -1 : 1));
        const q = async (query: Parameters<typeof allPages>[1]) =>
          idsOf(await allPages(store, { endpointIds: [endpointId, second], limit: 5, order: "oldest", ...query }));
        assert.deepEqual(await q({}), idsOf(oldest));
        assert.deepEqual(await q({ type: "order.*" }), idsOf(oldest));
        const tagged = oldest.filter((d) => d.envelope.type === "order.created" && d.envelope.data.length > 0);
        assert.deepEqual(
          await q({ type: "order.created", payloadContains: { tag } }),
          idsOf(tagged.filter((d) => JSON.parse(Buffer.from(d.envelope.data).toString()).tag === tag)),
        );
        assert.deepEqual(await q({ from: t0 + 2, before: t0 + 4 }), idsOf(oldest.slice(6, 12)));
        // The same, newest first, is the exact reverse; one endpoint alone, its share in order.
        assert.deepEqual(await q({ order: "newest" }), idsOf(oldest).reverse());
        assert.deepEqual(await q({ endpointIds: [second] }), idsOf(oldest.filter((d) => d.endpointId === second)));
        // A cursor keeps its order: used with the other one, it is refused rather than misread.
        const first = await store.queryDeliveries({ endpointIds: [endpointId], limit: 2, order: "oldest" });
        assert.ok(first.nextCursor);
        await assert.rejects(
          store.queryDeliveries({ endpointIds: [endpointId], limit: 2, cursor: first.nextCursor }),
          isQueryInvalid,
        );
        await assert.rejects(store.queryDeliveries({ limit: 2, order: "sideways" as "oldest" }), isQueryInvalid);
      }));

    it("refuses a cursor it did not make and a malformed type glob with QUERY_INVALID", () =>
      withHistory(async (store) => {
        await assert.rejects(store.queryDeliveries({ limit: 5, cursor: "%%%" }), isQueryInvalid);
        await assert.rejects(store.queryDeliveries({ limit: 5, cursor: "bm9wZQ" }), isQueryInvalid);
        await assert.rejects(store.queryDeliveries({ limit: 5, type: "inv*" }), isQueryInvalid);
        await assert.rejects(store.listDeadLetters("ep", { limit: 5, cursor: "%%%" }), isQueryInvalid);
        const page = await store.queryDeliveries({ limit: 0, endpointIds: [uniqueId("ep")] });
        assert.deepEqual(page.deliveries, []);
        assert.equal(page.nextCursor, undefined);
      }));
  });
}
