import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { requireBrokers } from "@hookyard/test-brokers";
import pg from "pg";
import { migrate, shippedMigrations } from "./migrate.js";
import { dropSchema, testSchema } from "./test-schema.js";

const { postgresUrl } = requireBrokers("postgres");

describe("history migrations", () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const fresh = () => {
    const schema = testSchema();
    schemas.push(schema);
    return schema;
  };
  before(() => {
    pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
  });
  after(async () => {
    for (const schema of schemas) await dropSchema(postgresUrl, schema);
    await pool.end();
  });

  async function withClient<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await body(client);
    } finally {
      client.release();
    }
  }

  it("builds the schema from nothing, then re-runs as a no-op", async () => {
    const schema = fresh();
    const shipped = shippedMigrations();
    assert.ok(shipped.length >= 1);
    assert.deepEqual(
      shipped.map((m) => m.version),
      shipped.map((_, i) => i + 1),
      "versions are 1..n without gaps",
    );
    const first = await withClient((c) => migrate(c, schema));
    assert.deepEqual(
      first.applied,
      shipped.map((m) => m.version),
    );
    assert.equal(first.version, shipped.length);
    const again = await withClient((c) => migrate(c, schema));
    assert.deepEqual(again.applied, []);
    assert.equal(again.version, shipped.length);
    const { rows } = await pool.query<{ relname: string; relkind: string }>(
      `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('p', 'r') ORDER BY 1`,
      [schema],
    );
    assert.deepEqual(
      rows.map((r) => `${r.relname}:${r.relkind}`),
      ["deliveries:p", "deliveries_dead:p", "deliveries_delivered:p", "hookyard_migrations:r"],
    );
  });

  it("serializes instances migrating at the same time: each version is applied once", async () => {
    const schema = fresh();
    const reports = await Promise.all([1, 2, 3].map(() => withClient((c) => migrate(c, schema))));
    const applied = reports.flatMap((r) => r.applied).sort();
    assert.deepEqual(
      applied,
      shippedMigrations().map((m) => m.version),
    );
    const { rows } = await pool.query(`SELECT version FROM "${schema}".hookyard_migrations`);
    assert.equal(rows.length, shippedMigrations().length);
  });

  it("refuses a schema where a shipped migration was applied with other contents", async () => {
    const schema = fresh();
    await withClient((c) => migrate(c, schema));
    await pool.query(`UPDATE "${schema}".hookyard_migrations SET checksum = 'edited' WHERE version = 1`);
    await assert.rejects(
      withClient((c) => migrate(c, schema)),
      (error) => error instanceof HookyardError && error.code === "HISTORY_MIGRATION_CHANGED" && !error.retryable,
    );
  });
});
