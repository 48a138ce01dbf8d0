import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { requireBrokers, startTcpProxy } from "@hookyard/test-brokers";
import pg from "pg";
import { settled, uniqueId } from "../conformance/fixtures.js";
import { createPostgresHistoryStore } from "./postgres-history-store.js";
import { dropSchema, testSchema } from "./test-schema.js";

const { postgresUrl } = requireBrokers("postgres");
const DAY = 24 * 60 * 60 * 1000;
const unavailable = (error: unknown) =>
  error instanceof HookyardError && error.code === "HISTORY_UNAVAILABLE" && error.retryable;

describe("postgres history store: partitions and PostgreSQL down", () => {
  it("answers retryable HISTORY_UNAVAILABLE while PostgreSQL is unreachable, and recovers by itself", async () => {
    const target = new URL(postgresUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const url = new URL(postgresUrl);
    url.host = proxy.address;
    const schema = testSchema();
    const store = await createPostgresHistoryStore({
      url: url.toString(),
      schema,
      poolSize: 2,
      connectTimeoutMs: 2_000,
    });
    try {
      const t0 = Date.now();
      const first = settled(t0, { endpointId: uniqueId("ep") });
      await store.write({ deliveries: [first] });
      await proxy.down();
      const second = settled(t0 + 1, { endpointId: first.endpointId });
      await assert.rejects(store.write({ deliveries: [second] }), unavailable);
      await assert.rejects(store.getDelivery(first.deliveryId), unavailable);
      await assert.rejects(store.queryDeliveries({ limit: 5 }), unavailable);
      await proxy.up();
      // The same batch again, as the outbox drainer does: stored once.
      await store.write({ deliveries: [first, second] });
      const page = await store.queryDeliveries({ endpointIds: [first.endpointId], limit: 10 });
      assert.deepEqual(
        page.deliveries.map((d) => d.deliveryId),
        [second.deliveryId, first.deliveryId],
      );
    } finally {
      await store.close();
      await proxy.close();
      await dropSchema(postgresUrl, schema);
    }
  });

  it("fails to open with a retryable error when PostgreSQL is not there", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 1 });
    await proxy.down();
    const url = new URL(postgresUrl);
    url.host = proxy.address;
    await assert.rejects(
      createPostgresHistoryStore({ url: url.toString(), schema: testSchema(), connectTimeoutMs: 1_000 }),
      (error) => unavailable(error) && /could not open/.test((error as Error).message),
    );
    await proxy.close();
  });

  it("makes day partitions ahead and on demand, drops expired ones whole, and writes after another instance dropped one", async () => {
    const schema = testSchema();
    const t0 = Date.UTC(2030, 0, 10, 12);
    let clock = t0;
    const options = {
      url: postgresUrl,
      schema,
      poolSize: 2,
      retentionMs: DAY,
      deadLetterRetentionMs: 3 * DAY,
      now: () => clock,
    };
    const a = await createPostgresHistoryStore(options);
    const b = await createPostgresHistoryStore(options);
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    const partitions = async () =>
      (
        await admin.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname ~ '_p[0-9]{8}$' ORDER BY 1`,
          [schema],
        )
      ).rows.map((r) => r.name);
    try {
      assert.deepEqual(await a.maintain(t0), { droppedDays: 0, createdDays: 6 });
      assert.deepEqual(await b.maintain(t0), { droppedDays: 0, createdDays: 0 });
      assert.ok((await partitions()).includes("deliveries_dead_p20300112"));
      // A settle on a day without a partition yet (a backlog from days ago) gets one.
      const old = settled(t0 - DAY, { status: "dead" });
      await a.write({ deliveries: [old] });
      assert.ok((await partitions()).includes("deliveries_dead_p20300109"));
      assert.equal((await a.getDelivery(old.deliveryId))?.deliveryId, old.deliveryId);
      // Every index of the parent is on the partitions.
      const indexes = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND tablename = 'deliveries_dead_p20300109'`,
        [schema],
      );
      assert.equal(indexes.rows[0]?.n, 8);
      // Two days on (the 12th, noon), the delivered day of the 10th has expired (it ended on the 11th, plus one
      // day of retention); the 11th has not, nor any dead day (three days).
      clock = t0 + 2 * DAY;
      const report = await b.maintain(clock);
      assert.equal(report.droppedDays, 1);
      const left = await partitions();
      assert.ok(!left.includes("deliveries_delivered_p20300110") && left.includes("deliveries_dead_p20300110"));
      // `a` still believes the 10th exists: a late write for it is skipped as expired; one for today goes in.
      const late = settled(t0, {});
      const today = settled(clock, {});
      await a.write({ deliveries: [late, today] });
      assert.equal(await a.getDelivery(late.deliveryId), undefined);
      assert.ok(await a.getDelivery(today.deliveryId));
      // Drop a day `a` knows behind its back: its next write there finds out and makes the day again.
      await admin.query(`DROP TABLE "${schema}".deliveries_delivered_p20300114`);
      await a.write({ deliveries: [settled(clock + 2 * DAY - 1000, {})] });
      assert.ok((await partitions()).includes("deliveries_delivered_p20300114"));
    } finally {
      await admin.end();
      await a.close();
      await b.close();
      await dropSchema(postgresUrl, schema);
    }
  });
});
