import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryHistoryStore } from "@hookyard/history";
import { createEmbeddedStore, createHistoryHandoff } from "@hookyard/scheduler";
import { attemptAt, testEndpoint, testEnvelope } from "@hookyard/scheduler/testing";
import { createDeliveryLog } from "./delivery-log.js";

describe("delivery log across the tiers", () => {
  it("reads a settled delivery while its record waits in the outbox, and once in the history, without doubles", async () => {
    const store = createEmbeddedStore();
    const history = createMemoryHistoryStore();
    const log = createDeliveryLog(store, history);
    const t0 = 1_800_000_000_000;
    await store.syncEndpoints([testEndpoint("ep-log")]);
    const [id = ""] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep-log"], now: t0 })).deliveryIds;
    await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 1 });
    await store.complete("w1", [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 1, 200) }], t0 + 2);

    // Settled: no longer live, not yet handed off. The delivery and its attempt are still readable.
    assert.equal(await store.getDelivery(id), undefined);
    assert.equal(await history.getDelivery(id), undefined);
    assert.equal((await log.getDelivery(id))?.status, "delivered");
    assert.deepEqual(
      (await log.listAttempts(id)).map((a) => a.status),
      [200],
    );

    // Written to the history but not yet acknowledged (a drainer between its write and its ack): one attempt.
    const unacked = createHistoryHandoff({
      store: { ...store, ackSettled: async () => {} },
      history,
      ownerOf: () => "acme",
    });
    assert.equal(await unacked.drain(), 1);
    assert.equal((await history.getDelivery(id))?.status, "delivered");
    assert.ok(await store.findSettled(id), "still in the outbox");
    assert.deepEqual(
      (await log.listAttempts(id)).map((a) => a.status),
      [200],
    );

    const handoff = createHistoryHandoff({ store, history, ownerOf: () => "acme", reclaimAfterMs: 0 });
    assert.equal(await handoff.drain(), 1);
    assert.equal(await store.findSettled(id), undefined);
    assert.equal((await log.getDelivery(id))?.status, "delivered");
    assert.deepEqual(
      (await log.listAttempts(id)).map((a) => a.status),
      [200],
    );
    assert.equal(await log.getDelivery("unknown"), undefined);
    await store.close();
  });

  it("shows a settle's attempts while the hand-off moves it into the history during the read", async () => {
    const store = createEmbeddedStore();
    const history = createMemoryHistoryStore();
    const handoff = createHistoryHandoff({ store, history, ownerOf: () => "acme", reclaimAfterMs: 0 });
    const t0 = 1_800_000_000_000;
    await store.syncEndpoints([testEndpoint("ep-move")]);
    const [id = ""] = (await store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep-move"], now: t0 }))
      .deliveryIds;
    await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 1 });
    await store.complete(
      "w1",
      [{ deliveryId: id, kind: "dead", attempt: attemptAt(t0 + 1, 500), reason: "HTTP 500" }],
      t0 + 2,
    );
    assert.equal(await handoff.drain(), 1);
    // Replayed and delivered: the new settle waits in the outbox, the dead one is in the history.
    await store.requeue([{ ...(await replaySource(history, id)), deliveryId: id }], t0 + 3);
    await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 4 });
    await store.complete("w1", [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 4, 200) }], t0 + 5);

    // The hand-off stores and acknowledges the new settle right after the log's first history read.
    let moved = false;
    const afterRead = async <T>(read: Promise<T>): Promise<T> => {
      const result = await read;
      if (!moved) moved = (await handoff.drain()) === 1;
      return result;
    };
    const moving = {
      ...history,
      listAttempts: (deliveryId: string) => afterRead(history.listAttempts(deliveryId)),
      getDelivery: (deliveryId: string) => afterRead(history.getDelivery(deliveryId)),
    };
    const log = createDeliveryLog(store, moving);
    assert.deepEqual(
      (await log.listAttempts(id)).map((a) => a.status),
      [500, 200],
    );
    assert.ok(moved, "the settle moved during the read");
    await store.close();
  });
});

async function replaySource(history: ReturnType<typeof createMemoryHistoryStore>, deliveryId: string) {
  const settled = await history.getDelivery(deliveryId);
  assert.ok(settled?.envelope);
  return {
    messageId: settled.messageId,
    endpointId: settled.endpointId,
    createdAt: settled.createdAt,
    envelope: settled.envelope,
  };
}
