import type { AttemptRecord, DeliveryPage, Envelope } from "@hookyard/core";
import type { HistoryDelivery, HistoryQuery, HistoryStore } from "@hookyard/history";
import type { DeliveryStatus, RequeueRequest, SchedulerStore } from "@hookyard/scheduler";

/**
 * The delivery log as the admin API reads it, over the two tiers: a delivery is live in the scheduler (queued or
 * leased, in Redis) until it settles; its record then waits in the scheduler's outbox (milliseconds, or as long as
 * the history store is down) and is then in the history store (PostgreSQL or memory). Lists, dead letters,
 * events and the charts read the history; one delivery's detail and attempts read all three; retry,
 * dead-letter replay and range replay take records from the history and queue them again in the scheduler
 * (`requeue`, same delivery id), then mark them replayed in the history.
 */
export interface DeliveryLog {
  queryDeliveries(query: HistoryQuery): Promise<DeliveryPage>;
  /**
   * Live in the scheduler, else its settle waiting in the outbox, else its latest settle in the history; undefined
   * when none knows it.
   */
  getDelivery(deliveryId: string): Promise<DeliveryDetail | undefined>;
  /**
   * Every attempt: the stored ones (across replays), then those since it was last queued (live, or in a settle
   * still waiting in the outbox).
   */
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;
  listDeadLetters(endpointId: string, limit: number): Promise<HistoryDelivery[]>;
  /** Queues settled deliveries again; returns the ids queued (live or unknown ones are left alone). */
  replay(deliveryIds: readonly string[], now: number): Promise<string[]>;
  /** Replays every dead letter of the endpoint (not replayed since); returns how many. */
  replayDeadLetters(endpointId: string, now: number): Promise<number>;
}

export interface DeliveryDetail {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: number;
  readonly dueAt?: number;
  readonly deadReason?: string;
  readonly envelope?: Envelope;
}

const PAGE = 200;

export function createDeliveryLog(store: SchedulerStore, history: HistoryStore): DeliveryLog {
  async function replaySettled(records: readonly HistoryDelivery[], now: number): Promise<string[]> {
    const fresh = records.filter((record) => !record.replayed);
    if (fresh.length === 0) return [];
    const requests: RequeueRequest[] = fresh.map((record) => ({
      deliveryId: record.deliveryId,
      messageId: record.messageId,
      endpointId: record.endpointId,
      createdAt: record.createdAt,
      envelope: record.envelope,
    }));
    const queued = await store.requeue(requests, now);
    if (queued.length > 0) await history.markReplayed(queued, now);
    return queued;
  }

  return {
    queryDeliveries: (query) => history.queryDeliveries(query),

    async getDelivery(deliveryId) {
      const live = await store.getDelivery(deliveryId);
      if (live !== undefined) return live;
      // The outbox holds only settles newer than (or the same as) the history's: it is read first.
      const settled = (await store.findSettled(deliveryId)) ?? (await history.getDelivery(deliveryId));
      if (settled === undefined) return undefined;
      return {
        deliveryId: settled.deliveryId,
        messageId: settled.messageId,
        endpointId: settled.endpointId,
        status: settled.status,
        attempts: settled.attempts,
        createdAt: settled.createdAt,
        ...(settled.deadReason === undefined ? {} : { deadReason: settled.deadReason }),
        ...(settled.envelope === undefined ? {} : { envelope: settled.envelope }),
      };
    },

    async listAttempts(deliveryId) {
      // Read in the order a delivery moves (live, then the outbox, then the history): a settle that moves on
      // meanwhile is seen at least once. Read the other way, one the hand-off stored between the history read and
      // the outbox read was in neither, and the page showed a delivered delivery without its last attempt.
      const live = await store.listAttempts(deliveryId);
      const isLive = live.length > 0 || (await store.getDelivery(deliveryId)) !== undefined;
      const waiting = isLive ? undefined : await store.findSettled(deliveryId);
      const stored = await history.listAttempts(deliveryId);
      const attempts: AttemptRecord[] = stored.map(({ attemptId: _id, attempt: _n, ...record }) => record);
      if (isLive) return [...attempts, ...live];
      // The outbox's settle may be stored already (written, not yet acknowledged): each attempt once, known by
      // when it started (a delivery's attempts never start in the same millisecond).
      const shown = new Set(attempts.map((attempt) => attempt.startedAt));
      return [...attempts, ...(waiting?.attemptLog.filter((attempt) => !shown.has(attempt.startedAt)) ?? [])];
    },

    async listDeadLetters(endpointId, limit) {
      const letters: HistoryDelivery[] = [];
      let cursor: string | undefined;
      do {
        const page = await history.listDeadLetters(endpointId, {
          limit: Math.min(PAGE, limit - letters.length),
          ...(cursor === undefined ? {} : { cursor }),
        });
        letters.push(...page.deliveries);
        cursor = page.nextCursor;
      } while (cursor !== undefined && letters.length < limit);
      return letters;
    },

    async replay(deliveryIds, now) {
      const queued: string[] = [];
      for (let i = 0; i < deliveryIds.length; i += PAGE) {
        const records = await history.getDeliveries(deliveryIds.slice(i, i + PAGE));
        // A delivery live again in the scheduler (replayed, not settled since) is left alone by requeue.
        queued.push(...(await replaySettled(records, now)));
      }
      return queued;
    },

    async replayDeadLetters(endpointId, now) {
      let count = 0;
      // Replayed letters leave the list, so the first page is read again until it is empty (or nothing moves).
      for (;;) {
        const page = await history.listDeadLetters(endpointId, { limit: PAGE });
        const queued = await replaySettled(page.deliveries, now);
        count += queued.length;
        if (queued.length === 0 || page.nextCursor === undefined) return count;
      }
    },
  };
}
