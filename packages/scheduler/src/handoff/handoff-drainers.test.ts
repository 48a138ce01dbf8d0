import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { HookyardError } from "@hookyard/core";
import { createPostgresHistoryStore, type HistoryStore } from "@hookyard/history";
import { requireBrokers, uniqueName, waitFor } from "@hookyard/test-brokers";
import pg from "pg";
import { attemptAt, claimAll } from "../conformance/fixtures.js";
import { createRedisStore, type RedisSchedulerStore } from "../redis/redis-store.js";
import { deleteKeysMatching } from "../redis/test-redis-keys.js";
import { testEndpoint, testEnvelope } from "../testing.js";
import { createHistoryHandoff, type HistoryHandoff } from "./history-handoff.js";

// The hand-off as a deployment runs it: a real Redis outbox, several instances' drainers at once, a real
// PostgreSQL history. Every record a settle put in the outbox must land in the history exactly once, whatever the
// drainers do meanwhile: take each other's records (reclaimAfterMs 0: every take races the others' acks), stop
// and come back under a new name, die holding records, or see writes fail after or before they were stored.

const brokers = requireBrokers("redis", "postgres");
const SETTLES = 40;
const PER_SETTLE = 50;

let store: RedisSchedulerStore;
let history: HistoryStore;
let prefix: string;
let schema: string;
before(async () => {
  prefix = uniqueName("hydrain");
  schema = uniqueName("hy_drain")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  store = createRedisStore({ redis: brokers.redisUrl, prefix });
  history = await createPostgresHistoryStore({ url: brokers.postgresUrl, schema, poolSize: 4 });
});
after(async () => {
  await store.close();
  await history.close();
  const client = new pg.Client({ connectionString: brokers.postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  const { Redis } = await import("ioredis");
  const admin = new Redis(brokers.redisUrl);
  await deleteKeysMatching(admin, `{${prefix}}:*`);
  await admin.quit();
});

/**
 * The history store as one instance sees it: every `failEvery`-th write fails with a retryable error, half of
 * them after the rows were stored (the reply was lost), half before.
 */
function flakyHistory(failEvery: number): Pick<HistoryStore, "write"> {
  let writes = 0;
  return {
    async write(batch) {
      writes += 1;
      if (writes % failEvery !== 0) return history.write(batch);
      if (writes % (2 * failEvery) === 0) await history.write(batch);
      throw new HookyardError("HISTORY_UNAVAILABLE", "connection terminated", { retryable: true });
    },
  };
}

function drainer(failEvery: number): HistoryHandoff {
  return createHistoryHandoff({
    store,
    history: flakyHistory(failEvery),
    ownerOf: () => "drain-test",
    batchSize: 40,
    lingerMs: 1,
    pollMs: 20,
    reclaimAfterMs: 0,
    backoff: { minMs: 1, maxMs: 5 },
  });
}

/** A drainer whose instance dies in the middle of a history write (SIGKILL): it never acknowledges that batch. */
function dyingDrainer() {
  let writing: () => void = () => undefined;
  const wrote = new Promise<void>((resolve) => {
    writing = resolve;
  });
  const killed = new AbortController();
  const death = new Promise<never>((_, reject) => {
    killed.signal.addEventListener("abort", () => reject(new Error("killed")));
  });
  const handoff = createHistoryHandoff({
    store,
    history: {
      write() {
        writing();
        return death;
      },
    },
    ownerOf: () => "drain-test",
    batchSize: 40,
    lingerMs: 1,
    pollMs: 20,
    reclaimAfterMs: 60_000,
  });
  handoff.start();
  return {
    wrote,
    /** Ends the test's process-local leftovers; in Redis the drainer stays as it died. */
    async bury() {
      const stopped = handoff.stop();
      killed.abort();
      await stopped;
    },
  };
}

test("drainers that race, restart, die and fail store every settled record exactly once", async () => {
  const ep = uniqueName("ep");
  await store.syncEndpoints([testEndpoint(ep, { concurrency: 10_000 })]);
  const expected = new Map<string, "delivered" | "dead">();
  const dying = dyingDrainer();
  let a = drainer(7);
  const b = drainer(5);
  for (let settle = 0; settle < SETTLES; settle++) {
    const now = Date.now();
    for (let i = 0; i < PER_SETTLE; i++) {
      await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now });
    }
    const claimed = await claimAll(store, now, { max: PER_SETTLE });
    const dead = settle % 4 === 3;
    await store.complete(
      "w1",
      claimed.map((d) =>
        dead
          ? { deliveryId: d.deliveryId, kind: "dead", attempt: attemptAt(now, 500), reason: "retries exhausted" }
          : { deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(now, 200) },
      ),
      now,
    );
    for (const d of claimed) expected.set(d.deliveryId, dead ? "dead" : "delivered");
    if (settle === 0) {
      // An instance dies holding records it took, mid-write (SIGKILL: no stop, no ack); the others start.
      await dying.wrote;
      a.start();
      b.start();
    }
    if (settle === SETTLES / 2) {
      // ... and another restarts: stops after its batch in progress, comes back as a new drainer.
      await a.stop();
      a = drainer(3);
      a.start();
    }
  }
  assert.equal(expected.size, SETTLES * PER_SETTLE);
  await waitFor(
    "the outbox to drain",
    async () => {
      const [stats, pending] = await Promise.all([
        store.outboxStats(),
        store.client.xpending(store.keys.outbox, "history"),
      ]);
      return stats.records === 0 && Number((pending as unknown[])[0]) === 0 ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  await Promise.all([a.stop(), b.stop(), dying.bury()]);

  assert.deepEqual(await store.outboxStats(), { records: 0, shed: 0, oldestAgeMs: 0 }, "nothing shed below the bound");
  const client = new pg.Client({ connectionString: brokers.postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ delivery_id: string; status: string; n: number }>(
      `SELECT delivery_id, status, count(*)::int AS n FROM "${schema}".deliveries GROUP BY delivery_id, status`,
    );
    const stored = new Map(rows.map((row) => [row.delivery_id, row]));
    const absent = [...expected.keys()].filter((id) => !stored.has(id));
    assert.deepEqual(absent, [], "every settled record is in the history");
    for (const row of rows) {
      assert.equal(row.status, expected.get(row.delivery_id), `${row.delivery_id}: its status`);
      assert.equal(row.n, 1, `${row.delivery_id}: stored once`);
    }
    assert.equal(rows.length, expected.size);
  } finally {
    await client.end();
  }
});
