import type pg from "pg";
import type { SettledStatus } from "../history-store.js";
import { quoteIdent } from "./sql.js";

export const DAY_MS = 24 * 60 * 60 * 1000;
/** The partitioned tables by status: the day partitions hang below these. */
export const PARENTS = ["deliveries_delivered", "deliveries_dead"] as const;
const STATUS_OF: Record<(typeof PARENTS)[number], SettledStatus> = {
  deliveries_delivered: "delivered",
  deliveries_dead: "dead",
};
const NAME = /_p(\d{4})(\d{2})(\d{2})$/;
/** Day partitions created ahead of today, so the writes of the coming days never wait for one. */
export const DAYS_AHEAD = 2;

/** The UTC day (as ms of its midnight) that contains `ms`. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function partitionName(parent: string, day: number): string {
  return `${parent}_p${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/** Whether a day's records have all expired: the whole day is older than its retention. */
export function dayExpired(day: number, retentionMs: number, now: number): boolean {
  return day + DAY_MS + retentionMs <= now;
}

/**
 * Creates the day partition of `status`, unless it exists. The table is made standalone and
 * then attached, which takes only a SHARE UPDATE EXCLUSIVE lock on the parent (CREATE ... PARTITION OF would
 * take an ACCESS EXCLUSIVE one and stall the queries); `lock_timeout` bounds any wait. Concurrent creators are
 * serialized by a transaction advisory lock per schema.
 */
export async function ensureDay(client: pg.ClientBase, schema: string, status: SettledStatus, day: number) {
  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL lock_timeout = '5s'");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`hookyard:history:partitions:${schema}`]);
    for (const parent of PARENTS.filter((p) => STATUS_OF[p] === status)) {
      const name = partitionName(parent, day);
      const { rowCount } = await client.query(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
        [schema, name],
      );
      if (rowCount !== 0) continue;
      const from = new Date(day).toISOString();
      const to = new Date(day + DAY_MS).toISOString();
      await client.query(
        `CREATE TABLE ${quoteIdent(name)} (LIKE ${quoteIdent(parent)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION INCLUDING STORAGE)`,
      );
      await client.query(
        `ALTER TABLE ${quoteIdent(parent)} ATTACH PARTITION ${quoteIdent(name)} FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

export interface DayPartition {
  readonly parent: (typeof PARENTS)[number];
  readonly status: SettledStatus;
  readonly name: string;
  readonly day: number;
}

/** The day partitions that exist, from the catalogue. */
export async function listDays(client: pg.ClientBase, schema: string): Promise<DayPartition[]> {
  const { rows } = await client.query<{ parent: string; name: string }>(
    `SELECT p.relname AS parent, c.relname AS name
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = ANY($2::text[])`,
    [schema, PARENTS],
  );
  return rows.flatMap((row) => {
    const match = NAME.exec(row.name);
    const parent = PARENTS.find((p) => p === row.parent);
    if (match === null || parent === undefined) return [];
    const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return [{ parent, status: STATUS_OF[parent], name: row.name, day }];
  });
}

/**
 * Drops one expired day partition without blocking queries: DETACH ... CONCURRENTLY waits for the queries that
 * use the parent instead of locking them out; the detached table is then dropped on its own. A detach left
 * pending by an interrupted earlier run is finished first.
 */
export async function dropDay(client: pg.ClientBase, partition: DayPartition): Promise<void> {
  const parent = quoteIdent(partition.parent);
  const name = quoteIdent(partition.name);
  await client.query("SET lock_timeout = '5s'");
  try {
    const { rows } = await client.query<{ pending: boolean }>(
      "SELECT inhdetachpending AS pending FROM pg_inherits WHERE inhrelid = $1::regclass",
      [name],
    );
    if (rows[0]?.pending === true) await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${name} FINALIZE`);
    else if (rows[0] !== undefined) await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${name} CONCURRENTLY`);
    await client.query(`DROP TABLE IF EXISTS ${name}`);
  } finally {
    await client.query("RESET lock_timeout");
  }
}
