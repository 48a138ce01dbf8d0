import { HookyardError } from "@hookyard/core";
import { createMemoryHistoryStore, createPostgresHistoryStore, type HistoryStore } from "@hookyard/history";
import { createHistoryHandoff, type SchedulerStore } from "@hookyard/scheduler";
import type { Logger } from "pino";
import type { HistorySettings } from "../config/types.js";
import type { Metrics } from "../metrics.js";
import type { OperatorAlerts } from "../operator/operator-alerts.js";
import type { Teardown } from "./teardown.js";

/** How often history retention runs (PostgreSQL: drop expired day partitions, create the coming days'). */
const MAINTAIN_EVERY_MS = 60_000;
/** Every instance watches the one shared outbox: its alerts reach the operator endpoints once per window. */
const SHARED_ALERT_WINDOW_MS = 5 * 60_000;

/**
 * Opens the history store the config names. PostgreSQL that cannot be reached at start-up does not stop
 * Hookyard (deliveries never wait on it): the store opens in the background, and until then its calls fail with a
 * retryable HISTORY_UNAVAILABLE (the hand-off retries, settled records wait in the outbox, admin lists answer
 * 503). A problem that retrying cannot fix (a changed migration, refused credentials) stops start-up.
 */
export async function openGatewayHistory(settings: HistorySettings, logger: Logger): Promise<HistoryStore> {
  const log = logger.child({ component: "history" });
  if (settings.kind === "memory") {
    return createMemoryHistoryStore({
      maxDelivered: settings.maxDelivered,
      maxDeadLetters: settings.maxDeadLetters,
      retentionMs: settings.retentionMs,
      deadLetterRetentionMs: settings.deadLetterRetentionMs,
      logger: log,
    });
  }
  const open = () =>
    createPostgresHistoryStore({
      url: settings.postgres.url,
      schema: settings.postgres.schema,
      poolSize: settings.postgres.poolSize,
      statementTimeoutMs: settings.postgres.statementTimeoutMs,
      retentionMs: settings.retentionMs,
      deadLetterRetentionMs: settings.deadLetterRetentionMs,
      logger: log,
    });
  try {
    return await open();
  } catch (error) {
    if (!(error instanceof HookyardError) || !error.retryable) throw error;
    log.error({ err: error }, "history store (PostgreSQL) unavailable at start-up; opening it in the background");
    return openLater(open, log);
  }
}

/** A history store that opens on first use, at most one attempt at a time, until one succeeds. */
function openLater(open: () => Promise<HistoryStore>, logger: Logger): HistoryStore {
  let store: HistoryStore | undefined;
  let opening: Promise<HistoryStore> | undefined;
  let closed = false;
  const ready = async (): Promise<HistoryStore> => {
    if (store) return store;
    if (closed) throw new HookyardError("HISTORY_UNAVAILABLE", "the history store is closed", { retryable: true });
    opening ??= open().then(
      (opened) => {
        store = opened;
        logger.info("history store (PostgreSQL) opened");
        return opened;
      },
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    );
    return opening;
  };
  return {
    kind: "postgres",
    durable: true,
    write: async (batch) => (await ready()).write(batch),
    queryDeliveries: async (query) => (await ready()).queryDeliveries(query),
    getDelivery: async (id) => (await ready()).getDelivery(id),
    getDeliveries: async (ids) => (await ready()).getDeliveries(ids),
    listAttempts: async (id) => (await ready()).listAttempts(id),
    listDeadLetters: async (endpointId, page) => (await ready()).listDeadLetters(endpointId, page),
    markReplayed: async (ids, at) => (await ready()).markReplayed(ids, at),
    maintain: async (now) => (await ready()).maintain(now),
    async close() {
      closed = true;
      const pending = opening;
      await store?.close();
      if (!store && pending) await pending.then((late) => late.close()).catch(() => undefined);
    },
  };
}

/**
 * Runs the hand-off from the scheduler's outbox to the history store (every instance runs one) and the history's
 * retention, both stopped by the teardown before the stores close.
 */
export function startHistoryTier(wiring: {
  readonly store: SchedulerStore;
  readonly history: HistoryStore;
  readonly settings: HistorySettings;
  readonly ownerOf: (endpointId: string) => string | undefined;
  /** Raises history.outbox.filling / shedding. */
  readonly alerts: OperatorAlerts;
  /** Fraction of the outbox bound at which history.outbox.filling is raised. */
  readonly outboxFillAlert: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly teardown: Teardown;
  /**
   * The store clock (ms): a take's time is compared with other instances' (taking over a dead drainer's records)
   * and retention with the settle times the store wrote.
   */
  readonly now: () => number;
}): void {
  const { history, metrics, teardown } = wiring;
  const logger = wiring.logger.child({ component: "history" });
  const handoff = createHistoryHandoff({
    store: wiring.store,
    history,
    now: wiring.now,
    ownerOf: wiring.ownerOf,
    logger,
    outboxMaxRecords: wiring.settings.outboxMaxRecords,
    lingerMs: wiring.settings.handoffLingerMs,
    fillAlertAt: wiring.outboxFillAlert,
    observer: {
      onWritten: (records) => metrics.historyWritten.inc(records),
      onError: () => metrics.historyErrors.inc(),
      onRefused: (records) => metrics.historyRefused.inc(records),
      onFilling: (stats, maxRecords) =>
        wiring.alerts.raiseShared(
          "history.outbox.filling",
          { records: stats.records, maxRecords },
          SHARED_ALERT_WINDOW_MS,
        ),
      onShedding: (shed, stats, maxRecords) =>
        wiring.alerts.raiseShared(
          "history.outbox.shedding",
          { shed, totalShed: stats.shed, records: stats.records, maxRecords },
          SHARED_ALERT_WINDOW_MS,
        ),
    },
  });
  handoff.start();
  teardown.add(() => handoff.stop());
  const maintain = () => {
    history
      .maintain(wiring.now())
      .catch((error: unknown) => logger.warn({ err: error }, "history retention could not run; retried later"));
  };
  maintain();
  const timer = setInterval(maintain, MAINTAIN_EVERY_MS);
  timer.unref();
  teardown.add(() => clearInterval(timer));
}
