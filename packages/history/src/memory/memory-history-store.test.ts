import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { settled } from "../conformance/fixtures.js";
import { describeHistoryConformance } from "../conformance/history-conformance.js";
import { createMemoryHistoryStore } from "./memory-history-store.js";

describeHistoryConformance("memory", async (options) => {
  const store = createMemoryHistoryStore(options);
  return { store, close: () => store.close() };
});

describe("memory history store", () => {
  it("stays bounded by count however many records arrive, dropping the oldest settles of each status", async () => {
    const store = createMemoryHistoryStore({ maxDelivered: 100, maxDeadLetters: 10 });
    const t0 = Date.now();
    const dead = Array.from({ length: 25 }, (_, i) => settled(t0 + i, { status: "dead", endpointId: "ep" }));
    await store.write({ deliveries: dead });
    for (let round = 0; round < 50; round++) {
      await store.write({ deliveries: Array.from({ length: 100 }, (_, i) => settled(t0 + round * 100 + i)) });
    }
    const all = await store.queryDeliveries({ limit: 200 });
    assert.equal(all.deliveries.length, 110);
    const letters = await store.listDeadLetters("ep", { limit: 200 });
    assert.deepEqual(
      letters.deliveries.map((d) => d.deliveryId),
      dead.slice(15).map((d) => d.deliveryId),
    );
    assert.equal(await store.getDelivery(dead[0]?.deliveryId ?? ""), undefined);
    assert.deepEqual(await store.listAttempts(dead[0]?.deliveryId ?? ""), []);
  });

  it("warns once that it is not durable", () => {
    const warnings: string[] = [];
    const store = createMemoryHistoryStore({ logger: { warn: (_o, message) => warnings.push(message) } });
    assert.equal(store.durable, false);
    assert.deepEqual(warnings, ["delivery history is kept in memory only: not durable, bounded by count"]);
  });
});
