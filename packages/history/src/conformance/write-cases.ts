import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allPages, attempt, binaryEnvelope, idsOf, settled, uniqueId } from "./fixtures.js";
import type { WithHistory } from "./harness.js";

/** Semantics 1–3: writing, idempotence, reading back, settles after a replay. */
export function describeWriteCases(withHistory: WithHistory, t0: number): void {
  describe("1–3. write and read back", () => {
    it("keeps every field of a settle, the envelope byte-exact, and every attempt with headers and bodies", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const dead = settled(t0, {
          endpointId,
          owner: "tenant-9",
          status: "dead",
          deadReason: "410 Gone",
          attempts: 2,
          envelope: binaryEnvelope(),
        });
        const withAttempts = {
          ...dead,
          attemptLog: [attempt(dead.deliveryId, 1, t0 + 10, 500), attempt(dead.deliveryId, 2, t0 + 20)],
        };
        const delivered = settled(t0 + 1, { endpointId });
        await store.write({ deliveries: [withAttempts, delivered] });

        const got = await store.getDelivery(dead.deliveryId);
        assert.ok(got);
        const { attemptLog, ...expected } = withAttempts;
        assert.deepEqual(
          { ...got, envelope: { ...got.envelope, data: Buffer.from(got.envelope.data) } },
          {
            ...expected,
            envelope: { ...expected.envelope, data: Buffer.from(expected.envelope.data) },
            replayed: false,
            lastAttempt: {
              startedAt: new Date(t0 + 20).toISOString(),
              durationMs: 14,
              errorClass: "timeout",
              errorMessage: "timed out",
            },
          },
        );
        assert.deepEqual(await store.listAttempts(dead.deliveryId), attemptLog);

        const json = await store.getDelivery(delivered.deliveryId);
        assert.equal(
          Buffer.from(json?.envelope.data ?? []).toString(),
          Buffer.from(delivered.envelope.data).toString(),
        );
        assert.deepEqual(json?.envelope, delivered.envelope);
        assert.equal(await store.getDelivery(uniqueId("nope")), undefined);
        assert.deepEqual(await store.listAttempts(uniqueId("nope")), []);
        assert.deepEqual(
          idsOf(await store.getDeliveries([delivered.deliveryId, uniqueId("nope"), dead.deliveryId])).sort(),
          [dead.deliveryId, delivered.deliveryId].sort(),
        );
      }));

    it("is idempotent: the same batch twice, or in part, stores each settle and attempt once", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const batch = Array.from({ length: 25 }, (_, i) => settled(t0 + i, { endpointId }));
        await store.write({ deliveries: batch.slice(0, 10) });
        await store.write({ deliveries: batch });
        await store.write({ deliveries: [...batch.slice(5, 15)].reverse() });
        await store.write({ deliveries: [batch[3] as never, batch[3] as never] });
        const listed = await allPages(store, { endpointIds: [endpointId], limit: 7 });
        assert.deepEqual(idsOf(listed), idsOf(batch).reverse());
        for (const d of batch.slice(0, 3)) assert.equal((await store.listAttempts(d.deliveryId)).length, 1);
      }));

    it("a later settle of the same delivery (after a replay) replaces the earlier one; attempts accumulate", () =>
      withHistory(async (store) => {
        const endpointId = uniqueId("ep");
        const first = settled(t0, { endpointId, status: "dead", attempts: 3 });
        const second = settled(t0, {
          deliveryId: first.deliveryId,
          endpointId,
          status: "delivered",
          attempts: 1,
          settledAt: t0 + 60_000,
          attemptLog: [attempt(first.deliveryId, 1, t0 + 59_000, 204)],
        });
        await store.write({ deliveries: [first] });
        await store.markReplayed([first.deliveryId], t0 + 30_000);
        await store.write({ deliveries: [second] });
        await store.write({ deliveries: [first] }); // the old settle handed off again, late
        const got = await store.getDelivery(first.deliveryId);
        assert.equal(got?.status, "delivered");
        assert.equal(got?.settledAt, t0 + 60_000);
        assert.equal(got?.replayed, false);
        assert.equal(got?.attempts, 1);
        const listed = await allPages(store, { endpointIds: [endpointId] });
        assert.deepEqual(
          listed.map((d) => [d.deliveryId, d.status]),
          [[first.deliveryId, "delivered"]],
        );
        assert.deepEqual((await store.listDeadLetters(endpointId, { limit: 10 })).deliveries, []);
        const attempts = await store.listAttempts(first.deliveryId);
        assert.deepEqual(
          attempts.map((a) => a.attemptId),
          [...first.attemptLog, ...second.attemptLog].map((a) => a.attemptId),
        );
      }));

    it("a settle written in the same batch as its later settle keeps the later one", () =>
      withHistory(async (store) => {
        const early = settled(t0, { status: "dead" });
        const late = settled(t0, { deliveryId: early.deliveryId, settledAt: t0 + 5_000, attemptLog: [] });
        await store.write({ deliveries: [late, early] });
        assert.equal((await store.getDelivery(early.deliveryId))?.status, "delivered");
        assert.equal((await store.getDelivery(early.deliveryId))?.settledAt, t0 + 5_000);
      }));

    it("says what it is", () =>
      withHistory(async (store) => {
        assert.ok(store.kind === "postgres" || store.kind === "memory");
        assert.equal(store.durable, store.kind === "postgres");
        await store.write({ deliveries: [] });
      }));
  });
}
