import pg from "pg";
import { type MigrationReport, migrate } from "./migrate.js";
import { historyError } from "./pg-errors.js";

/**
 * Applies the shipped migrations to `schema` over a connection of its own (`hookyard migrate`, deploy jobs).
 * Errors are HookyardErrors: HISTORY_UNAVAILABLE (retryable) when PostgreSQL cannot be reached.
 */
export async function runHistoryMigrations(options: {
  readonly url: string;
  readonly schema: string;
  readonly connectTimeoutMs?: number;
}): Promise<MigrationReport> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "hookyard-migrate",
  });
  // Without a listener a connection lost mid-migration would crash the process instead of failing the call.
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await migrate(client, options.schema);
  } catch (error) {
    throw historyError("migrate", error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
