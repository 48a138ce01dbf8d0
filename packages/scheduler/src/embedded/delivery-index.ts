import type { AttemptRecord, Envelope } from "@hookyard/core";
import { queryBounds } from "../delivery-log.js";
import {
  DELIVERY_QUERY_SCAN_LIMIT,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryStatus,
  type DeliverySummary,
} from "../store.js";

/** What the index reads of a stored delivery; undefined once it has expired. */
export interface IndexedDelivery {
  readonly id: string;
  readonly messageId: string;
  readonly endpointId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: number;
  readonly deadReason: string | undefined;
  readonly envelope: Envelope | undefined;
  readonly lastAttempt: AttemptRecord | undefined;
}

export interface DeliveryIndex {
  add(deliveryId: string, endpointId: string, envelope: Envelope): void;
  query(query: DeliveryQuery): DeliveryPage;
  /** Drops ids of expired deliveries (at most `budget` examined per list); returns how many. */
  trim(budget: number): number;
}

/**
 * The embedded store's delivery log: the same indexes as the Redis store (all, per endpoint, per type, per event
 * id), each a sorted array of delivery ids (ids sort by creation time), read newest first with binary search and
 * the same scan budget. Expired ids are skipped by queries and dropped by `trim`.
 */
export function createDeliveryIndex(lookup: (deliveryId: string) => IndexedDelivery | undefined): DeliveryIndex {
  const lists = new Map<string, string[]>();

  function insert(key: string, id: string): void {
    let list = lists.get(key);
    if (list === undefined) {
      list = [];
      lists.set(key, list);
    }
    const last = list[list.length - 1];
    if (last === undefined || last < id) list.push(id);
    else list.splice(lowerIndex(list, id), 0, id);
  }

  function sources(query: DeliveryQuery): string[][] {
    const of = (key: string) => lists.get(key) ?? [];
    if (query.eventId !== undefined) return [of(`evt:${query.eventId}`)];
    const endpoints = query.endpointIds ?? [];
    if (endpoints.length > 0) {
      const byEndpoint = endpoints.map((id) => of(`ep:${id}`));
      const size = byEndpoint.reduce((sum, list) => sum + list.length, 0);
      if (query.type !== undefined && of(`type:${query.type}`).length < size) return [of(`type:${query.type}`)];
      return byEndpoint;
    }
    if (query.type !== undefined) return [of(`type:${query.type}`)];
    return [of("all")];
  }

  return {
    add(deliveryId, endpointId, envelope) {
      insert("all", deliveryId);
      insert(`ep:${endpointId}`, deliveryId);
      insert(`type:${envelope.type}`, deliveryId);
      insert(`evt:${envelope.id}`, deliveryId);
    },

    query(query) {
      const bounds = queryBounds(query);
      const endpointSet = query.endpointIds?.length ? new Set(query.endpointIds) : undefined;
      // One cursor per source list, each at the newest id below the upper bound; merged newest first.
      const heads = sources(query).map((list) => ({
        list,
        at: (bounds.upper === undefined ? list.length : lowerIndex(list, bounds.upper)) - 1,
      }));
      const found: DeliverySummary[] = [];
      let scanned = 0;
      let last: string | undefined;
      for (;;) {
        let best: (typeof heads)[number] | undefined;
        for (const head of heads) {
          const id = head.list[head.at];
          if (id !== undefined && (best === undefined || id > (best.list[best.at] ?? ""))) best = head;
        }
        const id = best?.list[best.at];
        if (best === undefined || id === undefined || (bounds.lower !== undefined && id < bounds.lower)) {
          return { deliveries: found, scanned };
        }
        if (found.length >= bounds.limit || scanned >= DELIVERY_QUERY_SCAN_LIMIT) {
          return { deliveries: found, scanned, ...(last === undefined ? {} : { nextCursor: last }) };
        }
        best.at -= 1;
        scanned += 1;
        last = id;
        const delivery = lookup(id);
        if (delivery === undefined || !matches(delivery, query, endpointSet)) continue;
        found.push(summary(delivery));
      }
    },

    trim(budget) {
      let removed = 0;
      for (const [key, list] of lists) {
        const head = list.slice(0, budget).filter((id) => lookup(id) !== undefined);
        removed += Math.min(budget, list.length) - head.length;
        list.splice(0, Math.min(budget, list.length), ...head);
        if (list.length === 0) lists.delete(key);
      }
      return removed;
    },
  };
}

function matches(delivery: IndexedDelivery, query: DeliveryQuery, endpoints: Set<string> | undefined): boolean {
  return (
    (query.status === undefined || delivery.status === query.status) &&
    (query.type === undefined || delivery.envelope?.type === query.type) &&
    (query.eventId === undefined || delivery.envelope?.id === query.eventId) &&
    (endpoints === undefined || endpoints.has(delivery.endpointId))
  );
}

function summary(delivery: IndexedDelivery): DeliverySummary {
  const attempt = delivery.lastAttempt;
  return {
    deliveryId: delivery.id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: delivery.createdAt,
    ...(delivery.envelope === undefined ? {} : { eventId: delivery.envelope.id, type: delivery.envelope.type }),
    ...(delivery.deadReason === undefined ? {} : { deadReason: delivery.deadReason }),
    ...(attempt === undefined
      ? {}
      : {
          lastAttempt: {
            startedAt: attempt.startedAt,
            durationMs: attempt.durationMs,
            ...(attempt.status === undefined ? {} : { status: attempt.status }),
            ...(attempt.errorClass === undefined ? {} : { errorClass: attempt.errorClass }),
            ...(attempt.errorMessage === undefined ? {} : { errorMessage: attempt.errorMessage }),
          },
        }),
  };
}

/** Index of the first element >= id. */
function lowerIndex(list: readonly string[], id: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] ?? "") < id) low = middle + 1;
    else high = middle;
  }
  return low;
}
