import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { HookyardError } from "@hookyard/core";
import type pg from "pg";
import { quoteIdent } from "./sql.js";

const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);
const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** One versioned migration shipped with the package (`src/migrations/NNN_name.sql`). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly schema: string;
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
  /** The schema's version afterwards. */
  readonly version: number;
}

/** The migrations shipped with this package, in version order. */
export function shippedMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .flatMap((file) => {
      const match = FILE.exec(file);
      if (match?.[1] === undefined || match[2] === undefined) return [];
      const sql = readFileSync(new URL(file, MIGRATIONS_DIR), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      return [{ version: Number(match[1]), name: match[2], sql, checksum }];
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Brings `schema` to the newest shipped version. Safe to run from many instances at once: one session-level
 * advisory lock per schema serializes them, and each migration runs in its own transaction together with its
 * row in `hookyard_migrations`, so a crash leaves the schema at a whole version. A migration already applied
 * whose file changed since is refused (someone edited a shipped migration). Versions newer than this package
 * knows are left alone: migrations only add, so an older instance keeps working during a rolling upgrade.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<MigrationReport> {
  const migrations = shippedMigrations();
  const ident = quoteIdent(schema);
  await client.query("SELECT pg_advisory_lock(hashtext($1))", [`hookyard:history:migrate:${schema}`]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
    await client.query(`SET search_path TO ${ident}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS hookyard_migrations (
         version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number; checksum: string }>(
      "SELECT version, checksum FROM hookyard_migrations",
    );
    const done = new Map(rows.map((row) => [row.version, row.checksum]));
    const applied: number[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw changedMigration(schema, migration);
        continue;
      }
      await applyOne(client, migration);
      applied.push(migration.version);
    }
    const version = Math.max(0, ...done.keys(), ...applied);
    return { schema, applied, version };
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`hookyard:history:migrate:${schema}`]);
  }
}

async function applyOne(client: pg.ClientBase, migration: Migration): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(migration.sql);
    await client.query("INSERT INTO hookyard_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

function changedMigration(schema: string, migration: Migration): HookyardError {
  return new HookyardError(
    "HISTORY_MIGRATION_CHANGED",
    `history migration ${migration.version} (${migration.name}) was applied to schema "${schema}" with other ` +
      "contents than this Hookyard ships: a shipped migration must never be edited; add a new one instead",
    { details: { schema, version: migration.version } },
  );
}
