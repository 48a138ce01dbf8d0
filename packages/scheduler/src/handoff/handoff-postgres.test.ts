import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { createPostgresHistoryStore, type HistoryStore } from "@hookyard/history";
import {
  type PrivatePostgres,
  requireBrokers,
  startPrivatePostgres,
  uniqueName,
  waitFor,
} from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import pg from "pg";
import { createRedisStore, type RedisSchedulerStore } from "../redis/redis-store.js";
import { createHttpPostSender, DELIVERY_ID_HEADER, receiverEndpoint } from "../testing/http-post-sender.js";
import { createWorker, type Worker } from "../worker.js";
import { createHistoryHandoff, type HistoryHandoff } from "./history-handoff.js";

// PostgreSQL (a private server: the test SIGKILLs it) killed while the hand-off drains, then restarted. Deliveries
// run on the shared Redis, to a real HTTP receiver, the whole time.

const brokers = requireBrokers("redis");
const ENDPOINTS = 10;
const BEFORE_KILL = 1000;
const WHILE_DOWN = 1000;

let postgres: PrivatePostgres; // unset when before() failed
before(async () => {
  postgres = await startPrivatePostgres();
});
after(() => postgres?.destroy()); // no second error hiding before()'s

/** Answers 200, or 500 for events whose id ends in "-dead" (their endpoint's one attempt makes them dead). */
function startReceiver() {
  const seen = new Set<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      seen.add(String(req.headers[DELIVERY_ID_HEADER] ?? ""));
      res.statusCode = String(req.headers["webhook-id"] ?? "").endsWith("-dead") ? 500 : 200;
      res.end();
    });
  });
  return { server, seen };
}

test("PostgreSQL killed mid-drain: deliveries go on, history catches up, no dead letter lost, no duplicate row", async (t) => {
  const prefix = uniqueName("hypg");
  const schema = uniqueName("hy_pgkill")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const receiver = startReceiver();
  receiver.server.listen(0, "127.0.0.1");
  await once(receiver.server, "listening");
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  const sender = createHttpPostSender();
  const store: RedisSchedulerStore = createRedisStore({ redis: brokers.redisUrl, prefix });
  const history: HistoryStore = await createPostgresHistoryStore({
    url: postgres.url,
    schema,
    connectTimeoutMs: 1000,
    statementTimeoutMs: 5000,
  });
  let written = 0;
  let failures = 0;
  const handoff: HistoryHandoff = createHistoryHandoff({
    store,
    history,
    ownerOf: () => "pg-test",
    batchSize: 100,
    pollMs: 100,
    backoff: { minMs: 50, maxMs: 500 },
    observer: {
      onWritten: (records) => {
        written += records;
      },
      onError: () => {
        failures += 1;
      },
    },
  });
  const endpoints = new Map(
    Array.from({ length: ENDPOINTS }, (_, i) => {
      const endpoint = receiverEndpoint(`ep-${i}`, receiverUrl);
      const once = {
        ...endpoint,
        policy: { ...endpoint.policy, retry: { ...endpoint.policy.retry, scheduleMs: [0] } },
      };
      return [once.id, once] as const;
    }),
  );
  const worker: Worker = createWorker({
    store,
    send: sender.send,
    endpoints: (id) => endpoints.get(id),
    maxInFlight: 100,
  });
  t.after(async () => {
    await worker.stop({ graceMs: 1000 });
    await handoff.stop();
    sender.close();
    receiver.server.closeAllConnections();
    receiver.server.close();
    await store.close();
    await history.close();
    await deleteKeys(prefix);
  });
  await store.syncEndpoints([...endpoints.values()]);
  const ids = new Map<string, "delivered" | "dead">(); // delivery id → how it must settle
  const enqueue = async (from: number, count: number) => {
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const n = from + i;
        const dead = n % 10 === 0;
        const envelope = createEnvelope({
          id: `evt-${n}${dead ? "-dead" : ""}`,
          source: "t",
          type: "pg.kill",
          data: "{}",
        });
        const { deliveryIds } = await store.enqueue({
          envelope,
          endpointIds: [`ep-${n % ENDPOINTS}`],
          now: Date.now(),
        });
        for (const id of deliveryIds) ids.set(id, dead ? "dead" : "delivered");
      }),
    );
  };

  worker.start();
  handoff.start();
  await enqueue(0, BEFORE_KILL);
  await waitFor("the hand-off to be mid-drain", () => (written >= 200 ? true : undefined), { timeoutMs: 30_000 });
  await postgres.kill();
  const writtenAtKill = written;

  // PostgreSQL is down: deliveries do not pause.
  await enqueue(BEFORE_KILL, WHILE_DOWN);
  await waitFor(
    "every delivery to reach the receiver while PostgreSQL is down",
    () => (receiver.seen.size === BEFORE_KILL + WHILE_DOWN ? true : undefined),
    { timeoutMs: 60_000 },
  );
  await waitFor("the hand-off to fail against the dead PostgreSQL", () => (failures > 0 ? true : undefined));
  const waiting = await store.outboxStats();
  assert.ok(waiting.records > 0, "settled records wait in the outbox");
  assert.equal(waiting.shed, 0);
  // A take holds whole outbox entries of up to 16 records: under twice its batchSize of 100 plus one entry
  // (outbox-records.ts, createTakeSizer).
  assert.ok(written - writtenAtKill < 2 * 100 + 16, "at most the batch in flight at the kill was stored after it");

  // Back: the history catches up.
  await postgres.start();
  await waitFor(
    "the outbox to drain into the restarted PostgreSQL",
    async () => ((await store.outboxStats()).records === 0 ? true : undefined),
    { timeoutMs: 60_000 },
  );
  const stored = await history.getDeliveries([...ids.keys()]);
  assert.equal(stored.length, ids.size, "every settled delivery is in the history");
  for (const record of stored) assert.equal(record.status, ids.get(record.deliveryId), record.deliveryId);
  const dead = [...ids].filter(([, status]) => status === "dead").map(([id]) => id);
  const letters = new Set<string>();
  for (let i = 0; i < ENDPOINTS; i++) {
    let cursor: string | undefined;
    do {
      const page = await history.listDeadLetters(`ep-${i}`, { limit: 200, ...(cursor ? { cursor } : {}) });
      for (const letter of page.deliveries) letters.add(letter.deliveryId);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  assert.deepEqual([...letters].sort(), dead.sort(), "no dead letter lost");
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const rows = await client.query(
      `SELECT count(*)::int AS n, count(DISTINCT delivery_id)::int AS distinct FROM "${schema}".deliveries`,
    );
    assert.deepEqual(rows.rows[0], { n: ids.size, distinct: ids.size }, "one row per delivery: no duplicate");
  } finally {
    await client.end();
  }
});

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(brokers.redisUrl);
  let cursor = "0";
  do {
    const [next, found] = await admin.scan(cursor, "MATCH", `{${prefix}}:*`, "COUNT", 1000);
    cursor = next;
    if (found.length > 0) await admin.del(...found);
  } while (cursor !== "0");
  await admin.quit();
}
