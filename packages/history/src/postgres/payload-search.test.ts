import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requireBrokers } from "@hookyard/test-brokers";
import { allPages, jsonEnvelope, settled, uniqueId } from "../conformance/fixtures.js";
import type { HistoryStore, SettledDelivery } from "../history-store.js";
import { createPostgresHistoryStore } from "./postgres-history-store.js";
import { PAYLOAD_PROBE_ROWS } from "./read-queries.js";
import { dropSchema, testSchema } from "./test-schema.js";

const { postgresUrl } = requireBrokers("postgres");

// More deliveries than one probe examines, so both steps of a payload search run: the row-by-row probe of the
// newest (or oldest) candidates, then the GIN index past them.
describe("postgres payload search past the probe window", () => {
  const schema = testSchema();
  let store: HistoryStore;
  const endpointId = uniqueId("ep");
  const rare = uniqueId("cus");
  const rows: SettledDelivery[] = [];
  before(async () => {
    store = await createPostgresHistoryStore({ url: postgresUrl, schema, poolSize: 2 });
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < PAYLOAD_PROBE_ROWS + 300; i++) {
      const customer = i < 2 ? rare : `cus-${i}`;
      rows.push(
        settled(t0 + i, { endpointId, envelope: jsonEnvelope("order.created", { customer, gold: i % 2 === 0, i }) }),
      );
    }
    for (let i = 0; i < rows.length; i += 500) await store.write({ deliveries: rows.slice(i, i + 500) });
  });
  after(async () => {
    await store.close();
    await dropSchema(postgresUrl, schema);
  });

  const newestFirst = (list: SettledDelivery[]) => list.map((d) => d.deliveryId).reverse();

  it("finds a rare value older than the newest candidates, page by page", async () => {
    const found = await allPages(store, { endpointIds: [endpointId], payloadContains: { customer: rare }, limit: 1 });
    assert.deepEqual(
      found.map((d) => d.deliveryId),
      newestFirst(rows.slice(0, 2)),
    );
    const anywhere = await allPages(store, { payloadContains: { customer: rare } });
    assert.equal(anywhere.length, 2);
  });

  it("fills pages of a common value from the newest candidates and pages through all of them", async () => {
    const first = await store.queryDeliveries({
      endpointIds: [endpointId],
      payloadContains: { gold: true },
      limit: 50,
    });
    assert.equal(first.deliveries.length, 50);
    assert.ok(first.nextCursor);
    const all = await allPages(store, {
      endpointIds: [endpointId, uniqueId("ep")],
      payloadContains: { gold: true },
      limit: 200,
    });
    assert.deepEqual(
      all.map((d) => d.deliveryId),
      newestFirst(rows.filter((_, i) => i % 2 === 0)),
    );
  });

  it("searches oldest first too: a rare value newer than the oldest candidates, and a common one in full", async () => {
    const last = rows.at(-1);
    assert.ok(last);
    // A rare value on the newest row: past the probe window when read oldest first.
    const late = uniqueId("late");
    const twin = settled(last.createdAt + 1, {
      endpointId,
      envelope: jsonEnvelope("order.created", { customer: late, gold: false }),
    });
    await store.write({ deliveries: [twin] });
    const found = await allPages(store, {
      endpointIds: [endpointId],
      payloadContains: { customer: late },
      order: "oldest",
    });
    assert.deepEqual(
      found.map((d) => d.deliveryId),
      [twin.deliveryId],
    );
    const all = await allPages(store, {
      endpointIds: [endpointId],
      payloadContains: { gold: true },
      limit: 200,
      order: "oldest",
    });
    assert.deepEqual(
      all.map((d) => d.deliveryId),
      rows.filter((_, i) => i % 2 === 0).map((d) => d.deliveryId),
    );
  });
});
