import { createPostgresHistoryStore, type HistoryStore } from "@hookyard/history";
import pg from "pg";

/** Reads what a Hookyard process stored in its PostgreSQL history (its own schema), for end-to-end ledgers. */
export interface HistoryLedger {
  /** The event ids of every delivered record of the endpoint. */
  deliveredEventIds(endpointId: string): Promise<Set<string>>;
  close(): Promise<void>;
}

export async function openHistoryLedger(url: string, schema: string): Promise<HistoryLedger> {
  const store: HistoryStore = await createPostgresHistoryStore({ url, schema, migrate: false, poolSize: 2 });
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
