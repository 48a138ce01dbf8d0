import type { Deliver } from "../connector.js";
import type { Envelope } from "../envelope.js";
import { waitUntil } from "./wait-until.js";

/** What a test's deliver does with one call: resolve (durable), reject (retryable or not), or wait first. */
export type DeliverBehaviour = (envelope: Envelope, attempt: number) => Promise<void> | void;

export interface DeliverCall {
  readonly envelope: Envelope;
  /** 1 for the first call with this envelope id, 2 for its first redelivery, ... */
  readonly attempt: number;
  outcome: "pending" | "resolved" | "rejected";
}

/** A `deliver` that records every call, how many are outstanding, and what settled how. */
export interface RecordingDeliver {
  readonly deliver: Deliver;
  readonly calls: readonly DeliverCall[];
  /** Envelopes whose deliver resolved, in the order they resolved. */
  readonly resolved: readonly Envelope[];
  readonly outstanding: number;
  readonly maxOutstanding: number;
  /** The most calls with the same envelope key outstanding at once (1 when per-key order is kept). */
  readonly maxOutstandingPerKey: number;
  attempts(id: string): number;
  /** Waits until `count` deliveries resolved in total. */
  waitForResolved(count: number, timeoutMs?: number): Promise<void>;
  /** Waits until the envelope with this id was resolved. */
  waitForResolvedId(id: string, timeoutMs?: number): Promise<Envelope>;
}

export function createRecordingDeliver(behaviour: DeliverBehaviour = () => undefined): RecordingDeliver {
  const calls: DeliverCall[] = [];
  const resolved: Envelope[] = [];
  const attemptsById = new Map<string, number>();
  const outstandingByKey = new Map<string, number>();
  let outstanding = 0;
  let maxOutstanding = 0;
  let maxOutstandingPerKey = 0;

  const deliver: Deliver = async (envelope) => {
    const attempt = (attemptsById.get(envelope.id) ?? 0) + 1;
    attemptsById.set(envelope.id, attempt);
    const call: DeliverCall = { envelope, attempt, outcome: "pending" };
    calls.push(call);
    outstanding += 1;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    const key = envelope.key;
    if (key !== undefined) {
      const perKey = (outstandingByKey.get(key) ?? 0) + 1;
      outstandingByKey.set(key, perKey);
      maxOutstandingPerKey = Math.max(maxOutstandingPerKey, perKey);
    }
    try {
      await behaviour(envelope, attempt);
      call.outcome = "resolved";
      resolved.push(envelope);
    } catch (error) {
      call.outcome = "rejected";
      throw error;
    } finally {
      outstanding -= 1;
      if (key !== undefined) outstandingByKey.set(key, (outstandingByKey.get(key) ?? 1) - 1);
    }
  };

  return {
    deliver,
    calls,
    resolved,
    get outstanding() {
      return outstanding;
    },
    get maxOutstanding() {
      return maxOutstanding;
    },
    get maxOutstandingPerKey() {
      return maxOutstandingPerKey;
    },
    attempts: (id) => attemptsById.get(id) ?? 0,
    waitForResolved: (count, timeoutMs) =>
      waitUntil(
        `${count} resolved deliveries (have ${resolved.length})`,
        () => (resolved.length >= count ? true : undefined),
        timeoutMs === undefined ? {} : { timeoutMs },
      ).then(() => undefined),
    waitForResolvedId: (id, timeoutMs) =>
      waitUntil(
        `the delivery of ${id}`,
        () => resolved.find((envelope) => envelope.id === id),
        timeoutMs === undefined ? {} : { timeoutMs },
      ),
  };
}
