import { randomBytes } from "node:crypto";
import pg from "pg";
import type { HistoryHarness } from "../conformance/harness.js";
import type { HistoryRetentionOptions } from "../history-store.js";
import { createPostgresHistoryStore } from "./postgres-history-store.js";
import { quoteIdent } from "./sql.js";

/** A schema of the test's own, dropped afterwards, so tests run in parallel against the shared PostgreSQL. */
export function testSchema(): string {
  return `hy_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL history store at `postgresUrl` (the harness's: `requireBrokers("postgres")`), in a fresh schema
 * that `close` drops.
 */
export async function openPostgresTestHistory(
  postgresUrl: string,
  options: HistoryRetentionOptions = {},
): Promise<HistoryHarness> {
  const schema = testSchema();
  const store = await createPostgresHistoryStore({ ...options, url: postgresUrl, schema, poolSize: 2 });
  return {
    store,
    async close() {
      await store.close();
      await dropSchema(postgresUrl, schema);
    },
  };
}
