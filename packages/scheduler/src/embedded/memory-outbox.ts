import type { OutboxStats, SettledEntry, SettledRecord, TakeSettledRequest } from "../store.js";

/**
 * The embedded store's outbox: settled records waiting for the history store, in settle order, bounded like the
 * Redis one — past `maxRecords` a delivered record is shed (counted), a dead letter is always kept. A taken record
 * stays until acknowledged and is handed out again once its consumer has held it for `reclaimAfterMs`.
 */
export interface MemoryOutbox {
  add(record: SettledRecord): void;
  take(request: TakeSettledRequest): SettledEntry[];
  ack(entries: readonly SettledEntry[]): void;
  /** The figures, the oldest record's age at `now`. */
  stats(now: number): OutboxStats;
  /** The newest record of the delivery waiting here. */
  find(deliveryId: string): SettledRecord | undefined;
  /** Dead letters of the endpoint waiting here. */
  deadWaiting(endpointId: string): number;
}

interface Waiting {
  readonly entry: SettledEntry;
  takenBy: string | undefined;
  takenAt: number;
}

export function createMemoryOutbox(maxRecords: number): MemoryOutbox {
  const waiting = new Map<string, Waiting>(); // insertion order = settle order
  const deadByEndpoint = new Map<string, number>();
  const newestEntry = new Map<string, string>(); // delivery id → entry id
  let sequence = 0;
  let shed = 0;

  return {
    add(record) {
      const dead = record.status === "dead";
      if (!dead && waiting.size >= maxRecords) {
        shed += 1;
        return;
      }
      sequence += 1;
      const entryId = `${record.settledAt}-${sequence}`;
      waiting.set(entryId, { entry: { entryId, record }, takenBy: undefined, takenAt: 0 });
      newestEntry.set(record.deliveryId, entryId);
      if (dead) deadByEndpoint.set(record.endpointId, (deadByEndpoint.get(record.endpointId) ?? 0) + 1);
    },
    take({ consumer, max, reclaimAfterMs, now }) {
      const taken: SettledEntry[] = [];
      for (const item of waiting.values()) {
        if (taken.length >= max) break;
        if (item.takenBy !== undefined && now - item.takenAt < reclaimAfterMs) continue;
        item.takenBy = consumer;
        item.takenAt = now;
        taken.push(item.entry);
      }
      return taken;
    },
    ack(entries) {
      for (const { entryId } of entries) {
        const item = waiting.get(entryId);
        if (item === undefined) continue;
        waiting.delete(entryId);
        const { record } = item.entry;
        if (newestEntry.get(record.deliveryId) === entryId) newestEntry.delete(record.deliveryId);
        if (record.status !== "dead") continue;
        const left = (deadByEndpoint.get(record.endpointId) ?? 1) - 1;
        if (left > 0) deadByEndpoint.set(record.endpointId, left);
        else deadByEndpoint.delete(record.endpointId);
      }
    },
    stats(now) {
      // Insertion order is settle order: the first record waiting is the oldest (taken or not).
      const oldest = waiting.values().next().value;
      const oldestAgeMs = oldest === undefined ? 0 : Math.max(0, now - oldest.entry.record.settledAt);
      return { records: waiting.size, shed, oldestAgeMs };
    },
    find(deliveryId) {
      const entryId = newestEntry.get(deliveryId);
      return entryId === undefined ? undefined : waiting.get(entryId)?.entry.record;
    },
    deadWaiting(endpointId) {
      return deadByEndpoint.get(endpointId) ?? 0;
    },
  };
}
