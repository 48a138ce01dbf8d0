import { randomUUID } from "node:crypto";
import { type Envelope, HookyardError } from "@hookyard/core";
import type { HistoryBatch, HistoryStore, SettledDelivery } from "@hookyard/history";
import type { SchedulerLogger } from "../logger.js";
import type { OutboxStats, SchedulerStore, SettledEntry, SettledRecord } from "../store.js";
import { DEFAULT_OUTBOX_MAX_RECORDS } from "../store.js";
import { backoffDelay, sleep } from "../worker/backoff.js";

/**
 * The durable hand-off from the scheduler's outbox to the history store, run by every instance: takes settled
 * records in batches (`takeSettled`), writes them (`HistoryStore.write`, idempotent), and only then acknowledges
 * them (`ackSettled`), so a record is stored at least once and a dead letter never leaves Redis before it is in
 * the history. Deliveries never wait for it: when the history store is slow or down, records wait in the outbox
 * (bounded by the store; this drainer warns as it fills) and the drainer retries with backoff.
 */
export interface HistoryHandoff {
  start(): void;
  /**
   * Drains until nothing is left for this drainer; resolves with how many records it took (stored, or refused for
   * good and counted by `onRefused`). For tests and shutdown.
   */
  drain(): Promise<number>;
  /** Stops after the batch in progress; records not yet stored stay in the outbox for any instance. */
  stop(): Promise<void>;
}

export interface HistoryHandoffObserver {
  onWritten?(records: number, durationMs: number): void;
  /** The outbox's figures, read every `statsEveryMs`. */
  onOutbox?(stats: OutboxStats): void;
  /**
   * The outbox reached `fillAlertAt` of its bound (once, until it drained below half of that): operator alert
   * `history.outbox.filling`.
   */
  onFilling?(stats: OutboxStats, maxRecords: number): void;
  /** Delivered records' history began to be shed (once, until a look finds no new shedding). */
  onShedding?(shed: number, stats: OutboxStats, maxRecords: number): void;
  /**
   * The history store refused `records` delivered records of a batch for good (a non-retryable error): their
   * history is given up, acknowledged like stored ones so they do not block the outbox. A refused dead letter is
   * not counted here: it stays in the outbox (taken again later) and shows in the outbox's age.
   */
  onRefused?(records: number): void;
  onError?(error: unknown): void;
}

export interface HistoryHandoffOptions {
  readonly store: SchedulerStore;
  readonly history: Pick<HistoryStore, "write">;
  /** The endpoint's owner (tenant) for owner-scoped history lists; "" when unknown. */
  readonly ownerOf: (endpointId: string) => string | undefined;
  readonly logger?: SchedulerLogger;
  /** Records per history write. Default 500. */
  readonly batchSize?: number;
  /**
   * After this store settled deliveries, wait this long to gather a batch (also when they settled while a batch
   * was being written). Default 500 ms: at a quiet rate each take + write + acknowledge (three round trips and
   * their wake-ups) then carries ~100 records at 200/s rather than ~20 at 100 ms, which cut the gateway's CPU per
   * delivery at a steady 200/s by ~8 % (bench/README.md, seventh pass). A backlog fills whole batches regardless;
   * a settled delivery stays readable by id through the outbox meanwhile, and history lists lag by up to this.
   */
  readonly lingerMs?: number;
  /**
   * With no local settle, look at the outbox this often (records an instance that died left behind): the idle
   * cost, 3 Redis commands per look. Default 10 s.
   */
  readonly pollMs?: number;
  /**
   * Records another drainer took and has not acknowledged for this long are taken over. Default 15 s: a drainer
   * that died (SIGKILL, OOM) leaves its taken records behind, and the history catches up within this plus
   * `pollMs`; a live drainer slower than this only causes a second, idempotent write.
   */
  readonly reclaimAfterMs?: number;
  /**
   * Drainers of instances that died stay registered in the outbox's consumer group: once their records are
   * taken over, those idle for this long are forgotten (looked for at most once a minute). Default 10 min.
   */
  readonly forgetDrainersAfterMs?: number;
  /** The store's outbox bound, for the fill warnings. Default `DEFAULT_OUTBOX_MAX_RECORDS`. */
  readonly outboxMaxRecords?: number;
  readonly statsEveryMs?: number;
  /** The fraction of `outboxMaxRecords` at which `observer.onFilling` is called. Default 0.8. */
  readonly fillAlertAt?: number;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  readonly observer?: HistoryHandoffObserver;
  readonly now?: () => number;
}

/** How long the hand-off gathers settled records at a quiet rate before it takes them (`lingerMs`). */
export const DEFAULT_HANDOFF_LINGER_MS = 500;
const NO_LOGGER: SchedulerLogger = { debug() {}, info() {}, warn() {}, error() {} };
const FILL_LEVELS = [0.5, 0.8, 1] as const;
/** How often a drainer looks for the consumers of dead drainers (one XINFO CONSUMERS inside its take). */
const FORGET_EVERY_MS = 60_000;
/** Refused dead letters this drainer has logged as errors (then at debug): at most this many ids are kept. */
const REFUSED_LOGGED_MAX = 10_000;

export function createHistoryHandoff(options: HistoryHandoffOptions): HistoryHandoff {
  const { store, history } = options;
  const logger = options.logger ?? NO_LOGGER;
  const consumer = `drainer-${randomUUID()}`;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 10_000;
  const lingerMs = options.lingerMs ?? DEFAULT_HANDOFF_LINGER_MS;
  const reclaimAfterMs = options.reclaimAfterMs ?? 15_000;
  const forgetAfterMs = options.forgetDrainersAfterMs ?? 600_000;
  const maxRecords = options.outboxMaxRecords ?? DEFAULT_OUTBOX_MAX_RECORDS;
  const statsEveryMs = options.statsEveryMs ?? 5000;
  const backoff = options.backoff ?? { minMs: 200, maxMs: 10_000 };
  const now = options.now ?? Date.now;
  const stopping = new AbortController();
  let held: SettledEntry[] = []; // taken, not yet stored: written again before anything new is taken
  let signalled = false;
  let wakeUp: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve(); // drain() and the loop never write concurrently
  let lastStats = Number.NEGATIVE_INFINITY;
  let fillLevel = 0;
  let lastShed: number | undefined;
  let lastForget = Number.NEGATIVE_INFINITY;
  const fillAlertAt = options.fillAlertAt ?? 0.8;
  let fillAlerted = false;
  let shedding = false;
  // A dead letter the history refuses for good stays in the outbox and comes back every `reclaimAfterMs`: its
  // error is logged once (per drainer), not every 15 s for as long as it waits; the outbox age gauge shows it.
  const refusedLogged = new Set<string>();

  let lingering = false;
  const unsubscribe = store.onSettled(() => {
    signalled = true;
    // One timer per linger window, not one per `complete` call that settled something; it wakes whichever idle
    // wait is current when it fires (a settle during a take is caught by `signalled`).
    if (wakeUp === undefined || lingering) return;
    lingering = true;
    setTimeout(() => {
      lingering = false;
      wakeUp?.();
    }, lingerMs);
  });

  /** Takes (or retries the held) batch, writes it, acknowledges it; returns how many records were taken. */
  async function once(): Promise<number> {
    if (held.length === 0) {
      const at = now();
      const forget = at - lastForget >= FORGET_EVERY_MS ? { forgetIdleConsumersMs: forgetAfterMs } : {};
      held = await store.takeSettled({ consumer, max: batchSize, reclaimAfterMs, now: at, ...forget });
      if (forget.forgetIdleConsumersMs !== undefined) lastForget = at;
    }
    const batch = held;
    if (batch.length === 0) return 0;
    const started = now();
    const { stored, refused } = await write(batch);
    await store.ackSettled(stored);
    held = [];
    // Counted once acknowledged: a batch whose write or acknowledgement failed is held and written again.
    if (refused > 0) options.observer?.onRefused?.(refused);
    options.observer?.onWritten?.(stored.length - refused, now() - started);
    return batch.length;
  }

  /**
   * Writes a batch; on a record the history can never take, writes one by one and leaves the bad ones out.
   * Resolves with the entries to acknowledge and how many of them are delivered records the history refused.
   */
  async function write(batch: readonly SettledEntry[]): Promise<{ stored: SettledEntry[]; refused: number }> {
    try {
      await history.write(toBatch(batch));
      return { stored: [...batch], refused: 0 };
    } catch (error) {
      if (!(error instanceof HookyardError) || error.retryable) throw error;
      const stored: SettledEntry[] = [];
      let refused = 0;
      for (const entry of batch) {
        try {
          await history.write(toBatch([entry]));
          stored.push(entry);
        } catch (single) {
          if (single instanceof HookyardError && !single.retryable) {
            const { deliveryId, status } = entry.record;
            // A delivered record's history is given up; a dead letter stays in the outbox (taken again later).
            if (status === "delivered") {
              logger.error({ err: single, deliveryId, status }, "history store refused a settled delivery");
              stored.push(entry);
              refused += 1;
            } else {
              logRefusedDeadLetter(deliveryId, single);
            }
          } else {
            throw single;
          }
        }
      }
      return { stored, refused };
    }
  }

  function logRefusedDeadLetter(deliveryId: string, error: HookyardError): void {
    if (refusedLogged.has(deliveryId)) {
      logger.debug({ err: error, deliveryId }, "history store refused a dead letter again; it stays in the outbox");
      return;
    }
    if (refusedLogged.size >= REFUSED_LOGGED_MAX) refusedLogged.clear();
    refusedLogged.add(deliveryId);
    logger.error(
      { err: error, deliveryId, retryEveryMs: reclaimAfterMs },
      "history store refused a dead letter; it stays in the outbox and is offered again (logged once)",
    );
  }

  function toBatch(entries: readonly SettledEntry[]): HistoryBatch {
    return { deliveries: entries.map((entry) => toSettled(entry.record, options.ownerOf(entry.record.endpointId))) };
  }

  async function watchOutbox(): Promise<void> {
    const at = now();
    if (at - lastStats < statsEveryMs) return;
    lastStats = at;
    const stats = await store.outboxStats(at);
    options.observer?.onOutbox?.(stats);
    const level = FILL_LEVELS.filter((fraction) => stats.records >= fraction * maxRecords).length;
    if (level > fillLevel) {
      logger.warn(
        { records: stats.records, maxRecords },
        level === FILL_LEVELS.length
          ? "history outbox full: delivered records' history is being shed (dead letters are kept)"
          : "history outbox filling up: the history store is slow or down",
      );
    }
    fillLevel = level;
    alertOnFill(stats);
    const newlyShed = lastShed === undefined ? 0 : stats.shed - lastShed;
    const shedNow = newlyShed > 0;
    if (shedNow) {
      logger.warn({ shed: newlyShed, total: stats.shed }, "history of delivered deliveries shed");
      if (!shedding) options.observer?.onShedding?.(newlyShed, stats, maxRecords);
    }
    shedding = shedNow;
    lastShed = stats.shed;
  }

  /** Edge-triggered with hysteresis: one alert per filling episode, not one per look. */
  function alertOnFill(stats: OutboxStats): void {
    const threshold = fillAlertAt * maxRecords;
    if (!fillAlerted && stats.records >= threshold) {
      fillAlerted = true;
      options.observer?.onFilling?.(stats, maxRecords);
    } else if (fillAlerted && stats.records < threshold / 2) {
      fillAlerted = false;
    }
  }

  function idle(ms: number): Promise<void> {
    // Stopped while a take was under way: the abort has fired already, and a listener added now would never run
    // (the shutdown then waited out `pollMs`, 10 s by default, past its grace period).
    if (stopping.signal.aborted) return Promise.resolve();
    // Something settled while the last batch was taken or written: it gets the same linger as one settled now
    // (taken at once, it made a second take, write and acknowledge per window at a quiet rate).
    const wait = signalled ? Math.min(ms, lingerMs) : ms;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        if (wakeUp === done) wakeUp = undefined;
        stopping.signal.removeEventListener("abort", done);
        resolve();
      }
      wakeUp = done;
      stopping.signal.addEventListener("abort", done, { once: true });
    });
  }

  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task, task);
    queue = result.catch(() => undefined);
    return result;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        signalled = false;
        const taken = await serial(once);
        failures = 0;
        await watchOutbox().catch((error: unknown) => logger.debug({ err: error }, "outbox figures unavailable"));
        if (taken < batchSize) await idle(pollMs);
      } catch (error) {
        failures += 1;
        options.observer?.onError?.(error);
        logger.warn({ err: error, held: held.length, failures }, "history hand-off failed; retrying");
        // The outbox fills exactly while writes fail: keep watching it.
        await watchOutbox().catch(() => undefined);
        await sleep(backoffDelay(failures, backoff.minMs, backoff.maxMs, Math.random), stopping.signal);
      }
    }
  }

  return {
    start() {
      running ??= loop();
    },
    async drain() {
      let total = 0;
      for (;;) {
        const taken = await serial(once);
        total += taken;
        if (taken === 0) return total;
      }
    },
    async stop() {
      stopping.abort();
      unsubscribe();
      await running;
    },
  };
}

/** The history's shape of a settled record (owner added, attempts numbered and given stable ids). */
function toSettled(record: SettledRecord, owner: string | undefined): SettledDelivery {
  const first = Math.max(1, record.attempts - record.attemptLog.length + 1);
  return {
    deliveryId: record.deliveryId,
    messageId: record.messageId,
    endpointId: record.endpointId,
    owner: owner ?? "",
    status: record.status,
    ...(record.deadReason === undefined ? {} : { deadReason: record.deadReason }),
    attempts: record.attempts,
    createdAt: record.createdAt,
    settledAt: record.settledAt,
    envelope: record.envelope ?? lostEnvelope(record),
    attemptLog: record.attemptLog.map((attempt, index) => ({
      ...attempt,
      attempt: first + index,
      attemptId: `${record.deliveryId}:${attempt.startedAt}:${first + index}`,
    })),
  };
}

/** A dead letter whose envelope Redis had lost ("envelope missing"): kept, so the loss is visible. */
function lostEnvelope(record: SettledRecord): Envelope {
  return {
    id: record.messageId || record.deliveryId,
    source: "hookyard",
    type: "hookyard.envelope-missing",
    time: new Date(record.createdAt).toISOString(),
    contentType: "application/octet-stream",
    data: new Uint8Array(),
    headers: {},
  };
}
