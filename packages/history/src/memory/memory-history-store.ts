import { type CheckedQuery, checkPage, checkQuery, encodeCursor, type Keyset } from "../history-query.js";
import {
  DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS,
  DEFAULT_HISTORY_RETENTION_MS,
  type HistoryAttempt,
  type HistoryDelivery,
  type HistoryQuery,
  type HistoryRetentionOptions,
  type HistoryStore,
  type SettledDelivery,
  type SettledStatus,
} from "../history-store.js";
import { jsonContains } from "../json-contains.js";
import { payloadJsonText } from "../payload-json.js";
import { summarize, summaryOf } from "../record-views.js";

export interface MemoryHistoryOptions extends HistoryRetentionOptions {
  /** Most delivered records kept; the oldest settles go first. Default 10,000. */
  readonly maxDelivered?: number;
  /** Most dead letters kept; the oldest deaths go first. Default 10,000. */
  readonly maxDeadLetters?: number;
  /** Logs, once, that history is not durable. */
  readonly logger?: { warn(object: object, message: string): void };
}

export const DEFAULT_MEMORY_MAX_DELIVERED = 10_000;
export const DEFAULT_MEMORY_MAX_DEAD_LETTERS = 10_000;
/** Attempts kept per delivery across replays (the latest). */
export const MEMORY_ATTEMPTS_PER_DELIVERY = 100;

interface Row {
  readonly record: HistoryDelivery;
  /** The payload parsed for containment queries, on first use (undefined: not JSON). */
  json?: { readonly value: unknown };
}

/**
 * The embedded history: in process memory, bounded by count (two insertion-ordered maps, one per status, so
 * eviction and retention only ever look at the oldest entries) and not durable — a restart forgets it all.
 * Queries filter every kept record; the bounds keep that in the low milliseconds.
 */
export function createMemoryHistoryStore(options: MemoryHistoryOptions = {}): HistoryStore {
  const retention: Record<SettledStatus, number> = {
    delivered: options.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
    dead: options.deadLetterRetentionMs ?? DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS,
  };
  const bound: Record<SettledStatus, number> = {
    delivered: options.maxDelivered ?? DEFAULT_MEMORY_MAX_DELIVERED,
    dead: options.maxDeadLetters ?? DEFAULT_MEMORY_MAX_DEAD_LETTERS,
  };
  // Latest settle per delivery, in one of the two maps (by its status), in settle-arrival order.
  const rows: Record<SettledStatus, Map<string, Row>> = { delivered: new Map(), dead: new Map() };
  const attempts = new Map<string, Map<string, HistoryAttempt>>();
  options.logger?.warn(
    { maxDelivered: bound.delivered, maxDeadLetters: bound.dead },
    "delivery history is kept in memory only: not durable, bounded by count",
  );

  const current = (deliveryId: string): Row | undefined => rows.delivered.get(deliveryId) ?? rows.dead.get(deliveryId);

  function forget(deliveryId: string): void {
    rows.delivered.delete(deliveryId);
    rows.dead.delete(deliveryId);
    attempts.delete(deliveryId);
  }

  function keepAttempts(delivery: SettledDelivery): void {
    const kept = attempts.get(delivery.deliveryId) ?? new Map<string, HistoryAttempt>();
    attempts.set(delivery.deliveryId, kept);
    for (const attempt of delivery.attemptLog) if (!kept.has(attempt.attemptId)) kept.set(attempt.attemptId, attempt);
    for (const id of kept.keys()) {
      if (kept.size <= MEMORY_ATTEMPTS_PER_DELIVERY) break;
      kept.delete(id);
    }
  }

  function store(delivery: SettledDelivery): void {
    const existing = current(delivery.deliveryId);
    // Semantics 1 and 3: the same settle again, or an older one arriving late, changes no record.
    if (existing === undefined || existing.record.settledAt < delivery.settledAt) {
      const { attemptLog, ...settle } = delivery;
      const last = attemptLog.at(-1);
      const record: HistoryDelivery = {
        ...settle,
        replayed: false,
        ...(last === undefined ? {} : { lastAttempt: summaryOf(last) }),
      };
      rows.delivered.delete(delivery.deliveryId);
      rows.dead.delete(delivery.deliveryId);
      rows[delivery.status].set(delivery.deliveryId, { record });
    }
    keepAttempts(delivery);
    const map = rows[delivery.status];
    for (const id of map.keys()) {
      if (map.size <= bound[delivery.status]) break;
      forget(id);
    }
  }

  return {
    kind: "memory",
    durable: false,

    async write(batch) {
      for (const delivery of batch.deliveries) store(delivery);
    },

    async queryDeliveries(query) {
      const checked = checkQuery(query);
      const matches = [...rowsFor(query.status)].filter((row) => matchesQuery(row, query, checked));
      const direction = checked.order === "oldest" ? -1 : 1;
      matches.sort((a, b) => direction * compareNewestFirst(a.record, b.record));
      const page = matches.slice(0, checked.limit);
      const last = page.at(-1)?.record;
      return {
        deliveries: page.map((row) => summarize(row.record)),
        ...(last !== undefined && matches.length > page.length
          ? { nextCursor: encodeCursor({ at: last.createdAt, id: last.deliveryId }, checked.order) }
          : {}),
        scanned: rows.delivered.size + rows.dead.size,
      };
    },

    async getDelivery(deliveryId) {
      return current(deliveryId)?.record;
    },

    async getDeliveries(deliveryIds) {
      return deliveryIds.flatMap((id) => current(id)?.record ?? []);
    },

    async listAttempts(deliveryId) {
      return [...(attempts.get(deliveryId)?.values() ?? [])].sort(
        (a, b) => a.startedAt.localeCompare(b.startedAt) || compareText(a.attemptId, b.attemptId),
      );
    },

    async listDeadLetters(endpointId, pageRequest) {
      const { limit, after } = checkPage(pageRequest);
      const letters = [...rows.dead.values()]
        .map((row) => row.record)
        .filter((r) => r.endpointId === endpointId && !r.replayed)
        .filter((r) => after === undefined || compareKeyset(deathOf(r), after) > 0)
        .sort((a, b) => compareKeyset(deathOf(a), deathOf(b)));
      const page = letters.slice(0, limit);
      const last = page.at(-1);
      return {
        deliveries: page,
        ...(last !== undefined && letters.length > page.length ? { nextCursor: encodeCursor(deathOf(last)) } : {}),
      };
    },

    async markReplayed(deliveryIds, at) {
      let marked = 0;
      for (const id of deliveryIds) {
        const row = current(id);
        if (row === undefined || row.record.replayed || row.record.settledAt > at) continue;
        rows[row.record.status].set(id, { ...row, record: { ...row.record, replayed: true } });
        marked++;
      }
      return marked;
    },

    async maintain(now) {
      // Settles arrive roughly in settle order, so the oldest are first: stop at the first one still kept.
      for (const status of ["delivered", "dead"] as const) {
        for (const [id, row] of rows[status]) {
          if (row.record.settledAt >= now - retention[status]) break;
          forget(id);
        }
      }
      return { droppedDays: 0, createdDays: 0 };
    },

    async close() {
      rows.delivered.clear();
      rows.dead.clear();
      attempts.clear();
    },
  };

  function rowsFor(status: HistoryQuery["status"]): Iterable<Row> {
    if (status === "delivered" || status === "dead") return rows[status].values();
    if (status !== undefined) return [];
    return [...rows.delivered.values(), ...rows.dead.values()];
  }
}

function matchesQuery(row: Row, query: HistoryQuery, checked: CheckedQuery): boolean {
  const r = row.record;
  if (r.replayed) return false;
  if (query.endpointIds !== undefined && query.endpointIds.length > 0 && !query.endpointIds.includes(r.endpointId)) {
    return false;
  }
  if (query.owner !== undefined && r.owner !== query.owner) return false;
  if (query.eventId !== undefined && r.envelope.id !== query.eventId) return false;
  if (checked.type !== undefined && !checked.type.matches(r.envelope.type)) return false;
  if (query.from !== undefined && r.createdAt < query.from) return false;
  if (query.before !== undefined && r.createdAt >= query.before) return false;
  if (checked.after !== undefined) {
    // Past the previous page's last row, in the page order.
    const position = compareKeyset({ at: r.createdAt, id: r.deliveryId }, checked.after);
    if (checked.order === "oldest" ? position <= 0 : position >= 0) return false;
  }
  if (query.payloadContains !== undefined) {
    if (row.json === undefined) {
      const text = payloadJsonText(r.envelope);
      row.json = { value: text === undefined ? undefined : JSON.parse(text) };
    }
    if (row.json.value === undefined || !jsonContains(row.json.value, query.payloadContains)) return false;
  }
  return true;
}

function deathOf(record: HistoryDelivery): Keyset {
  return { at: record.settledAt, id: record.deliveryId };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeyset(a: Keyset, b: Keyset): number {
  return a.at - b.at || compareText(a.id, b.id);
}

function compareNewestFirst(a: HistoryDelivery, b: HistoryDelivery): number {
  return -compareKeyset({ at: a.createdAt, id: a.deliveryId }, { at: b.createdAt, id: b.deliveryId });
}
