import { createPostgresHistoryStore, type HistoryStore } from "@hookyard/history";
import { waitForProgress } from "@hookyard/test-brokers";
import pg from "pg";

/** Reads what a Hookyard process stored in its PostgreSQL history (its own schema), for end-to-end ledgers. */
export interface HistoryLedger {
  /** The event ids of every delivered record of the endpoint. */
  deliveredEventIds(endpointId: string): Promise<Set<string>>;
  /** How these events were stored, any status ("delivered", "dead", "delivered (replayed)"), for failure reports. */
  settlesOf(eventIds: readonly string[]): Promise<Map<string, string[]>>;
  close(): Promise<void>;
}

export async function openHistoryLedger(url: string, schema: string): Promise<HistoryLedger> {
  const store: HistoryStore = await createPostgresHistoryStore({ url, schema, migrate: false, poolSize: 2 });
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  return {
    async deliveredEventIds(endpointId) {
      const ids = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.queryDeliveries({
          endpointIds: [endpointId],
          status: "delivered",
          limit: 200,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const delivery of page.deliveries) if (delivery.eventId !== undefined) ids.add(delivery.eventId);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return ids;
    },
    async settlesOf(eventIds) {
      const settles = new Map<string, string[]>();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ event_id: string; status: string; replayed: boolean }>(
          `SELECT event_id, status, replayed FROM ${quoted}.deliveries WHERE event_id = ANY($1::text[])`,
          [eventIds],
        );
        for (const row of rows) {
          const list = settles.get(row.event_id) ?? [];
          list.push(row.replayed ? `${row.status} (replayed)` : row.status);
          settles.set(row.event_id, list);
        }
      } finally {
        await client.end();
      }
      return settles;
    },
    close: () => store.close(),
  };
}

/** Drops a test's history schema (each test writes its own). */
export async function dropHistorySchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** While the history catches up, how often the wait says how far it is (the test's log shows a lag's cause). */
const REPORT_EVERY_MS = 5000;

/**
 * Waits until the history holds every one of `eventIds` as delivered to the endpoint, for as long as the count
 * still missing keeps falling (see `waitForProgress`): the last deliveries settle and drain late on a loaded
 * machine. A failure says how the missing events were stored (dead? not at all?) and what `outbox()` reports.
 * Resolves with the time it took.
 */
export async function waitForDeliveredHistory(
  ledger: HistoryLedger,
  endpointId: string,
  eventIds: readonly string[],
  outbox: () => Promise<string>,
): Promise<number> {
  let stored = new Set<string>();
  const missing = () => eventIds.filter((id) => !stored.has(id));
  let lastReport = Date.now();
  return waitForProgress("every event in the delivery history", async () => {
    stored = await ledger.deliveredEventIds(endpointId);
    const left = missing().length;
    if (left > 0 && Date.now() - lastReport >= REPORT_EVERY_MS) {
      lastReport = Date.now();
      console.log(`history ledger: ${left} events missing; outbox ${await outbox()}`);
    }
    return left;
  }).catch(async (error: Error) => {
    const absent = missing();
    const settles = await ledger.settlesOf(absent);
    const how = new Map<string, number>();
    for (const id of absent) {
      const as = (settles.get(id) ?? ["not stored"]).join("+");
      how.set(as, (how.get(as) ?? 0) + 1);
    }
    throw new Error(
      `${error.message}: ${absent.length} missing, e.g. ${absent.slice(0, 3).join(", ")}; ` +
        `stored as ${JSON.stringify(Object.fromEntries(how))}; outbox ${await outbox()}`,
    );
  });
}
