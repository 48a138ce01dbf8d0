import { randomBytes } from "node:crypto";
import pg from "pg";
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
