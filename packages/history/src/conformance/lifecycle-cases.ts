import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allPages, idsOf, settled, uniqueId } from "./fixtures.js";
import type { WithHistory } from "./harness.js";

const DAY = 24 * 60 * 60 * 1000;

/** Semantics 5 and 6: dead letters, replay marks, retention. */
export function describeLifecycleCases(withHistory: WithHistory, t0: number): void {
  describe("5–6. dead letters, replay, retention", () => {
    it("lists an endpoint's dead letters oldest death first, with envelopes, paged", () =>
      withHistory(async (store) => {
        const [endpointId, other] = [uniqueId("ep"), uniqueId("ep")];
        const dead = Array.from({ length: 7 }, (_, i) =>
          settled(t0 + i, { endpointId, status: "dead", settledAt: t0 + 1_000 - i * 10 }),
        );
        await store.write({
          deliveries: [...dead, settled(t0, { endpointId }), settled(t0, { endpointId: other, status: "dead" })],
        });
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listDeadLetters(endpointId, {
            limit: 3,
            ...(cursor === undefined ? {} : { cursor }),
          });
          assert.ok(page.deliveries.length <= 3);
          for (const d of page.deliveries) {
            assert.equal(d.status, "dead");
            assert.equal(d.deadReason, "retries exhausted");
            assert.ok(d.envelope.data.length > 0);
          }
          seen.push(...idsOf(page.deliveries));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        assert.deepEqual(seen, idsOf([...dead].reverse()));
      }));

    it("markReplayed hides settles from lists and dead letters but getDelivery still answers", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const [a, b, c] = [
          settled(t0, { endpointId, status: "dead" }),
          settled(t0 + 1, { endpointId, status: "dead" }),
          settled(t0 + 2, { endpointId }),
        ];
        await store.write({ deliveries: [a, b, c] });
        // Only settles made at or before the replay: b settled after it.
        assert.equal(await store.markReplayed([b.deliveryId], t0 + 100), 0);
        assert.equal(await store.markReplayed([a.deliveryId, c.deliveryId, uniqueId("nope")], t0 + 1_000), 2);
        assert.equal(await store.markReplayed([a.deliveryId], t0 + 1_001), 0);
        assert.deepEqual(idsOf(await allPages(store, { endpointIds: [endpointId] })), [b.deliveryId]);
        assert.deepEqual(idsOf((await store.listDeadLetters(endpointId, { limit: 10 })).deliveries), [b.deliveryId]);
        const got = await store.getDelivery(a.deliveryId);
        assert.equal(got?.replayed, true);
        assert.deepEqual(got?.envelope, a.envelope);
        assert.equal((await store.getDeliveries([c.deliveryId]))[0]?.replayed, true);
      }));

    it("expires delivered records after the retention and dead letters after theirs, by whole days", () =>
      withHistory(
        async (store) => {
          const endpointId = uniqueId("ep");
          const delivered = settled(t0, { endpointId });
          const dead = settled(t0, { endpointId, status: "dead" });
          await store.write({ deliveries: [delivered, dead] });
          await store.maintain(t0);
          assert.equal((await allPages(store, { endpointIds: [endpointId] })).length, 2);
          await store.maintain(t0 + 3 * DAY);
          assert.equal(await store.getDelivery(delivered.deliveryId), undefined);
          assert.deepEqual(await store.listAttempts(delivered.deliveryId), []);
          assert.deepEqual(idsOf(await allPages(store, { endpointIds: [endpointId] })), [dead.deliveryId]);
          assert.ok(await store.getDelivery(dead.deliveryId));
          await store.maintain(t0 + 7 * DAY);
          assert.equal(await store.getDelivery(dead.deliveryId), undefined);
          assert.deepEqual(await allPages(store, { endpointIds: [endpointId] }), []);
          assert.deepEqual((await store.listDeadLetters(endpointId, { limit: 5 })).deliveries, []);
        },
        { retentionMs: DAY, deadLetterRetentionMs: 5 * DAY },
      ));

    it("keeps what is inside the retention whatever maintain does", () =>
      withHistory(
        async (store) => {
          const endpointId = uniqueId("ep");
          const rows = [settled(t0, { endpointId }), settled(t0, { endpointId, status: "dead" })];
          await store.write({ deliveries: rows });
          for (let i = 0; i < 3; i++) await store.maintain(t0 + DAY - 1);
          assert.equal((await allPages(store, { endpointIds: [endpointId] })).length, 2);
        },
        { retentionMs: DAY, deadLetterRetentionMs: 5 * DAY },
      ));
  });
}
