import type { HookyardError } from "@hookyard/core";
import pg from "pg";
import { type CheckedQuery, checkPage, checkQuery, encodeCursor } from "../history-query.js";
import {
  DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS,
  DEFAULT_HISTORY_RETENTION_MS,
  type HistoryAttempt,
  type HistoryQuery,
  type HistoryRetentionOptions,
  type HistoryStore,
  type SettledDelivery,
  type SettledStatus,
} from "../history-store.js";
import { migrate } from "./migrate.js";
import { DAY_MS, DAYS_AHEAD, dayExpired, dayOf, dropDay, ensureDay, listDays } from "./partitions.js";
import { historyError } from "./pg-errors.js";
import {
  listStatement,
  PAYLOAD_PROBE_ROWS,
  payloadIndexStatement,
  payloadProbeStatement,
  RECORD_COLUMNS,
  type RecordRow,
  recordFromRow,
  type Statement,
  type SummaryRow,
  summaryFromRow,
} from "./read-queries.js";
import { quoteIdent, MS_TO_TIMESTAMPTZ as ts } from "./sql.js";
import { WRITE_BATCH_SQL, writeBatchParams } from "./write-batch.js";

export interface PostgresHistoryOptions extends HistoryRetentionOptions {
  /** postgres://user:password@host:port/database (TLS and the rest as libpq-style URL parameters). */
  readonly url: string;
  /** The schema holding the tables (created by the migrations). Default "hookyard". */
  readonly schema?: string;
  /** Most connections of this instance's pool. Default 10. */
  readonly poolSize?: number;
  /** How long one statement may run before PostgreSQL cancels it. Default 30 s. */
  readonly statementTimeoutMs?: number;
  /** How long to wait for a pooled connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Apply the shipped migrations when opening (under an advisory lock). Default true. */
  readonly migrate?: boolean;
  /** The clock that decides which days have expired. Default Date.now. */
  readonly now?: () => number;
  readonly logger?: {
    warn(object: object, message: string): void;
    info(object: object, message: string): void;
  };
}

export const DEFAULT_HISTORY_SCHEMA = "hookyard";
export const DEFAULT_HISTORY_POOL_SIZE = 10;

/**
 * The production history store: PostgreSQL, tables partitioned by status and UTC day, retention by dropping
 * day partitions. Opening it checks the connection and applies the migrations (unless `migrate: false`).
 */
export async function createPostgresHistoryStore(options: PostgresHistoryOptions): Promise<HistoryStore> {
  const schema = options.schema ?? DEFAULT_HISTORY_SCHEMA;
  const now = options.now ?? Date.now;
  const retention: Record<SettledStatus, number> = {
    delivered: options.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
    dead: options.deadLetterRetentionMs ?? DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS,
  };
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? DEFAULT_HISTORY_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // jit off: PostgreSQL's JIT compiles any plan it costs above 100,000, and it prices every jsonb containment at
    // 0.1 % of the rows — a 20 ms payload search spent a second compiling (measured on 10 M rows).
    options: `-c search_path=${quoteIdent(schema)} -c jit=off`,
    application_name: "hookyard-history",
  });
  // An idle pooled connection that dies (PostgreSQL restarted) must not crash the process: the pool drops it and
  // the next query opens a fresh one.
  pool.on("error", (error) => options.logger?.warn({ err: error.message }, "history store connection lost"));

  try {
    if (options.migrate !== false) {
      const client = await pool.connect();
      client.on("error", ignoreClientError);
      try {
        const report = await migrate(client, schema);
        if (report.applied.length > 0) options.logger?.info({ ...report }, "history migrations applied");
      } finally {
        client.off("error", ignoreClientError);
        client.release();
      }
    }
  } catch (error) {
    await pool.end();
    throw historyError("open", error);
  }

  /** Days (per status) that have their partitions; refreshed when an insert finds one missing. */
  const known = new Set<string>();
  const dayKey = (status: SettledStatus, day: number) => `${status}:${day}`;

  async function run<T>(action: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    let failure: HookyardError | undefined;
    try {
      client = await pool.connect();
      // A connection that dies while checked out emits "error" on the client, which would crash the process
      // without a listener; the query in flight rejects on its own.
      client.on("error", ignoreClientError);
      return await body(client);
    } catch (error) {
      failure = historyError(action, error);
      throw failure;
    } finally {
      client?.off("error", ignoreClientError);
      // A connection that failed is closed rather than pooled again.
      client?.release(failure?.retryable === true ? failure : undefined);
    }
  }

  async function ensureDays(client: pg.ClientBase, deliveries: readonly SettledDelivery[]): Promise<void> {
    for (const d of deliveries) {
      const day = dayOf(d.settledAt);
      if (known.has(dayKey(d.status, day))) continue;
      await ensureDay(client, schema, d.status, day);
      known.add(dayKey(d.status, day));
    }
  }

  async function writeOnce(client: pg.ClientBase, deliveries: readonly SettledDelivery[]) {
    await ensureDays(client, deliveries);
    await client.query({ name: `hookyard-history-write`, text: WRITE_BATCH_SQL, values: writeBatchParams(deliveries) });
  }

  async function select<Row extends pg.QueryResultRow>(action: string, statement: Statement): Promise<Row[]> {
    const result = await run(action, (client) => client.query<Row>(statement.text, statement.values));
    return result.rows;
  }

  /**
   * Payload containment, in the page order: the first candidates row by row (a common value fills the page
   * there), then the GIN index past them (a rare value: few matches to fetch and sort). Up to `limit + 1` rows.
   */
  async function payloadSearch(query: HistoryQuery, checked: CheckedQuery): Promise<SummaryRow[]> {
    const probed = await select<SummaryRow & { edge: boolean; examined: number }>(
      "search payloads",
      payloadProbeStatement(query, checked),
    );
    const matches = probed.filter((row) => !row.edge);
    const edge = probed.find((row) => row.edge);
    if (matches.length > checked.limit || edge === undefined || edge.examined < PAYLOAD_PROBE_ROWS) return matches;
    const below = {
      ...checked,
      after: { at: edge.created_ms, id: edge.delivery_id },
      limit: checked.limit - matches.length,
    };
    const statement = payloadIndexStatement(query, below);
    const rows = await select<SummaryRow>("search payloads", statement);
    return [...matches, ...rows];
  }

  async function maintainLocked(client: pg.ClientBase, at: number) {
    const dropped = new Set<string>();
    for (const partition of await listDays(client, schema)) {
      if (!dayExpired(partition.day, retention[partition.status], at)) continue;
      await dropDay(client, partition);
      known.delete(dayKey(partition.status, partition.day));
      dropped.add(dayKey(partition.status, partition.day));
    }
    const existing = new Set((await listDays(client, schema)).map((p) => dayKey(p.status, p.day)));
    let createdDays = 0;
    for (let i = 0; i <= DAYS_AHEAD; i++) {
      for (const status of ["delivered", "dead"] as const) {
        const day = dayOf(at) + i * DAY_MS;
        if (existing.has(dayKey(status, day))) continue;
        await ensureDay(client, schema, status, day);
        known.add(dayKey(status, day));
        createdDays++;
      }
    }
    return { droppedDays: dropped.size, createdDays };
  }

  return {
    kind: "postgres",
    durable: true,

    async write(batch) {
      const at = now();
      // Records whose whole day has expired would land in a dropped partition: they are past retention anyway.
      const live = batch.deliveries.filter((d) => !dayExpired(dayOf(d.settledAt), retention[d.status], at));
      if (live.length < batch.deliveries.length) {
        options.logger?.warn(
          { skipped: batch.deliveries.length - live.length },
          "history records already expired, skipped",
        );
      }
      if (live.length === 0) return;
      await run("write a batch", async (client) => {
        try {
          await writeOnce(client, live);
        } catch (error) {
          // 23514: no partition for a row: another instance dropped or has not made a day this one knew.
          if ((error as { code?: string }).code !== "23514") throw error;
          known.clear();
          await writeOnce(client, live);
        }
      });
    },

    async queryDeliveries(query) {
      const checked = checkQuery(query);
      if (query.status !== undefined && query.status !== "delivered" && query.status !== "dead") {
        return { deliveries: [], scanned: 0 };
      }
      const rows =
        query.payloadContains === undefined
          ? await select<SummaryRow>("list deliveries", listStatement(query, checked))
          : await payloadSearch(query, checked);
      const page = rows.slice(0, checked.limit).map(summaryFromRow);
      const last = page.at(-1);
      return {
        deliveries: page,
        ...(last !== undefined && rows.length > checked.limit
          ? { nextCursor: encodeCursor({ at: last.createdAt, id: last.deliveryId }, checked.order) }
          : {}),
        scanned: rows.length,
      };
    },

    async getDelivery(deliveryId) {
      const { rows } = await run("read a delivery", (client) =>
        client.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM deliveries WHERE delivery_id = $1 ORDER BY settled_at DESC LIMIT 1`,
          [deliveryId],
        ),
      );
      return rows[0] === undefined ? undefined : recordFromRow(rows[0]);
    },

    async getDeliveries(deliveryIds) {
      if (deliveryIds.length === 0) return [];
      const { rows } = await run("read deliveries", (client) =>
        client.query<RecordRow>(
          `SELECT DISTINCT ON (delivery_id) ${RECORD_COLUMNS} FROM deliveries WHERE delivery_id = ANY($1::text[])
            ORDER BY delivery_id, settled_at DESC`,
          [deliveryIds],
        ),
      );
      return rows.map(recordFromRow);
    },

    async listAttempts(deliveryId) {
      const { rows } = await run("read attempts", (client) =>
        client.query<{ attempt_log: HistoryAttempt[] }>(
          "SELECT attempt_log FROM deliveries WHERE delivery_id = $1 ORDER BY settled_at",
          [deliveryId],
        ),
      );
      // Every settle's log (a replayed delivery has several), each attempt once.
      const byId = new Map<string, HistoryAttempt>();
      for (const row of rows) for (const attempt of row.attempt_log) byId.set(attempt.attemptId, attempt);
      return [...byId.values()].sort(
        (a, b) => a.startedAt.localeCompare(b.startedAt) || (a.attemptId < b.attemptId ? -1 : 1),
      );
    },

    async listDeadLetters(endpointId, pageRequest) {
      const { limit, after } = checkPage(pageRequest);
      const values: unknown[] = [endpointId, limit + 1];
      const keyset = after === undefined ? "" : `AND (settled_at, delivery_id) > (${ts("$3")}, $4)`;
      if (after !== undefined) values.push(after.at, after.id);
      const { rows } = await run("list dead letters", (client) =>
        client.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM deliveries_dead WHERE endpoint_id = $1 AND NOT replayed ${keyset}
            ORDER BY settled_at, delivery_id LIMIT $2`,
          values,
        ),
      );
      const page = rows.slice(0, limit).map(recordFromRow);
      const last = page.at(-1);
      return {
        deliveries: page,
        ...(last !== undefined && rows.length > limit
          ? { nextCursor: encodeCursor({ at: last.settledAt, id: last.deliveryId }) }
          : {}),
      };
    },

    async markReplayed(deliveryIds, at) {
      if (deliveryIds.length === 0) return 0;
      const result = await run("mark replayed deliveries", (client) =>
        client.query(
          `UPDATE deliveries SET replayed = true
            WHERE delivery_id = ANY($1::text[]) AND settled_at <= ${ts("$2")} AND NOT replayed`,
          [deliveryIds, at],
        ),
      );
      return result.rowCount ?? 0;
    },

    async maintain(at) {
      return run("maintain partitions", async (client) => {
        // One maintainer at a time per schema; the others skip this round.
        const lock = `hookyard:history:maintain:${schema}`;
        const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lock]);
        if (rows[0]?.ok !== true) return { droppedDays: 0, createdDays: 0 };
        try {
          return await maintainLocked(client, at);
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lock]);
        }
      });
    },

    async close() {
      await pool.end();
    },
  };
}

function ignoreClientError(): void {}
