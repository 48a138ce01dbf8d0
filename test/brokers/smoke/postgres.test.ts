import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { requireBrokers, uniqueName } from "../src/index.js";

const payload = Buffer.from([0x7b, 0x00, 0xff, 0x0a, 0xe2, 0x82, 0xac, 0x7d]);

describe("postgres smoke", () => {
  let pool: pg.Pool;
  before(() => {
    pool = new pg.Pool({ connectionString: requireBrokers("postgres").postgresUrl, max: 2 });
  });
  after(() => pool.end());

  it("is PostgreSQL 15 or later with declarative partitioning and jsonb containment", async () => {
    const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    assert.ok(Number(rows[0]?.v) >= 150000, `server_version_num ${rows[0]?.v}`);
    const schema = uniqueName("smoke").replaceAll("-", "_");
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      await pool.query(`CREATE TABLE ${schema}.t (at date NOT NULL, doc jsonb, raw bytea) PARTITION BY RANGE (at)`);
      await pool.query(
        `CREATE TABLE ${schema}.t_1 PARTITION OF ${schema}.t FOR VALUES FROM ('2026-01-01') TO ('2026-01-02')`,
      );
      await pool.query(`INSERT INTO ${schema}.t VALUES ('2026-01-01', '{"a":{"b":1}}', $1)`, [payload]);
      const found = await pool.query<{ raw: Buffer }>(`SELECT raw FROM ${schema}.t WHERE doc @> '{"a":{"b":1}}'`);
      assert.deepEqual(found.rows[0]?.raw, payload);
      await pool.query(`DROP TABLE ${schema}.t_1`);
      assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.t`)).rows[0]?.n, 0);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
