import { type AttemptRecord, type Endpoint, HookyardError } from "@hookyard/core";
import type { Clock } from "../clock.js";
import type { SchedulerLogger } from "../logger.js";
import { createRejectedLog } from "../rejected-log.js";
import { createSchedulerEventHub, type SchedulerEvent } from "../scheduler-events.js";
import {
  type ClaimedDelivery,
  type ClaimRequest,
  type ClaimResult,
  type CompletionResult,
  DEFAULT_OUTBOX_MAX_RECORDS,
  type DeliveryInfo,
  type DeliveryStatus,
  type EndpointState,
  type EnqueueRequest,
  type EnqueueResult,
  MAX_ATTEMPTS_LOGGED,
  type RequeueRequest,
  type SchedulerStats,
  type SchedulerStore,
  type StoreOutboxOptions,
} from "../store.js";
import { BinaryHeap } from "./binary-heap.js";
import { breakerState, createHealth, recordFailure, recordSuccess, resetHealth } from "./endpoint-health.js";
import { EndpointQueue } from "./endpoint-queue.js";
import { createIdFactory } from "./ids.js";
import { createMemoryOutbox } from "./memory-outbox.js";
import type { DeliveryRecord, EndpointRecord, MessageRecord } from "./records.js";

export interface EmbeddedStoreOptions extends StoreOutboxOptions {
  /** Gets one warning at creation: the embedded store loses everything when the process stops. */
  readonly logger?: SchedulerLogger;
  /**
   * The time of figures read without a `now` (`stats()`, `outboxStats()`): the outbox's age and the breakers' states
   * go on moving while the store is idle. Without it they are taken at the latest `now` a call passed, which stands
   * still between calls (tests that move time by passing `now` want that). The gateway passes its clock.
   */
  readonly localClock?: Clock;
}

interface IndexEntry {
  readonly score: number;
  readonly seq: number;
  readonly token: number;
  readonly endpoint: EndpointRecord;
}

/** Something that happens at a time (lease expiry, dedup expiry), valid while `isCurrent()`. */
interface TimedEntry {
  readonly at: number;
  readonly fire: () => void;
  readonly isCurrent: () => boolean;
}

interface DedupEntry {
  readonly result: EnqueueResult;
  readonly expiresAt: number;
}

function unknownEndpoint(endpointId: string): HookyardError {
  return new HookyardError("ENDPOINT_UNKNOWN", `unknown endpoint ${JSON.stringify(endpointId)}`, {
    details: { endpointId },
  });
}

/**
 * The in-process `SchedulerStore`: every structure the Redis store keeps in sorted sets is a binary heap here
 * (endpoints by next eligible time, each endpoint's deliveries by due time, leases by expiry), with lazy
 * invalidation, so a claim costs O(k log n) for k leased deliveries whatever the backlog. Like the Redis store it
 * keeps live deliveries only: a settled delivery leaves it for a bounded in-memory outbox (`memory-outbox.ts`).
 * Not durable: for trying Hookyard on a laptop and for tests.
 */
export function createEmbeddedStore(options: EmbeddedStoreOptions = {}): SchedulerStore {
  const outbox = createMemoryOutbox(options.outboxMaxRecords ?? DEFAULT_OUTBOX_MAX_RECORDS);
  const rejected = createRejectedLog();
  options.logger?.warn(
    { store: "embedded", durable: false },
    "embedded scheduler store is not durable: queued deliveries are lost when the process stops",
  );

  const endpoints = new Map<string, EndpointRecord>();
  const deliveries = new Map<string, DeliveryRecord>();
  const messages = new Map<string, MessageRecord>();
  const dedup = new Map<string, DedupEntry>();
  const listeners = new Set<(dueAt?: number) => void>();
  const nextId = createIdFactory();
  const settledListeners = new Set<() => void>();
  const events = createSchedulerEventHub(options.logger);
  const index = new BinaryHeap<IndexEntry>((a, b) => a.score < b.score || (a.score === b.score && a.seq < b.seq));
  const timers = new BinaryHeap<TimedEntry>((a, b) => a.at < b.at);
  let sequence = 0;
  /** Fencing tokens: one per lease, never reused by this store. */
  let leaseSequence = 0;
  /** Latest `now` any call passed: methods without `now` fire timers against it. */
  let latestNow = Number.NEGATIVE_INFINITY;
  let closed = false;

  /** The time figures are read at: the clock's, never behind a time a call passed (see `localClock`). */
  function figuresNow(): number {
    return options.localClock ? Math.max(latestNow, options.localClock.now()) : latestNow;
  }

  function advance(now: number): void {
    if (closed) throw new HookyardError("STORE_CLOSED", "the embedded store is closed");
    if (now > latestNow) latestNow = now;
    for (;;) {
      const top = timers.peek();
      if (top === undefined || top.at > latestNow) return;
      timers.pop();
      if (top.isCurrent()) top.fire();
    }
  }

  function wake(dueAt?: number): void {
    for (const listener of listeners) {
      try {
        listener(dueAt);
      } catch {
        // A listener's failure is its own; the store's state is already consistent.
      }
    }
  }

  function endpointOf(endpointId: string): EndpointRecord {
    const endpoint = endpoints.get(endpointId);
    if (endpoint === undefined) throw unknownEndpoint(endpointId);
    return endpoint;
  }

  function isEnabled(endpoint: EndpointRecord): boolean {
    return endpoint.runtimeEnabled && endpoint.config.enabled;
  }

  function setStatus(delivery: DeliveryRecord, status: DeliveryStatus): void {
    const counts = endpointOf(delivery.endpointId).counts;
    if (delivery.status === "queued") counts.queued -= 1;
    else if (delivery.status === "leased") counts.leased -= 1;
    delivery.status = status;
    if (status === "queued") counts.queued += 1;
    else if (status === "leased") counts.leased += 1;
  }

  /** Earliest time the endpoint may lease, or undefined when only an event (not time) can make it eligible. */
  function eligibleAt(endpoint: EndpointRecord): number | undefined {
    if (!isEnabled(endpoint)) return undefined;
    const { openUntil } = endpoint.health;
    // Open or half-open: one probe at a time, once nothing else is in flight.
    const capacity = openUntil === undefined ? endpoint.config.policy.concurrency : 1;
    if (endpoint.counts.leased >= capacity) return undefined;
    const dueAt = endpoint.queue.headDueAt();
    if (dueAt === undefined) return undefined;
    let at = Math.max(dueAt, endpoint.lastClaimAt);
    if (openUntil !== undefined) at = Math.max(at, openUntil);
    const rate = endpoint.config.policy.rateLimit;
    if (rate !== undefined && endpoint.tat !== undefined) {
      const interval = 1000 / rate.perSecond;
      at = Math.max(at, endpoint.tat - interval * (rate.burst - 1));
    }
    if (endpoint.pausedUntil !== undefined) at = Math.max(at, endpoint.pausedUntil);
    return at;
  }

  /**
   * As enqueue.lua (and requeue.lua) do: the time an enqueue's wake-up names, the earliest entry it made due among endpoints
   * eligible now or whose entry it added or moved earlier (`before`: their entries before the enqueue), and not
   * before now; undefined when no wake-up is worth sending (held by concurrency, disabled, already due earlier).
   * A rate limit, an open breaker or a 429's hold names a later time, so workers do not claim at once for nothing.
   */
  function enqueueWakeAt(before: ReadonlyMap<EndpointRecord, number | undefined>, now: number): number | undefined {
    let dueAt: number | undefined;
    for (const [endpoint, previous] of before) {
      const at = endpoint.indexedScore;
      if (at === undefined || (at > now && previous !== undefined && at >= previous)) continue;
      const named = Math.max(now, at);
      if (dueAt === undefined || named < dueAt) dueAt = named;
    }
    return dueAt;
  }

  function reindex(endpoint: EndpointRecord): void {
    const score = eligibleAt(endpoint);
    // Unchanged: keep the entry (and its place among equal scores); saves a push per enqueue in a flood.
    if (score !== undefined && score === endpoint.indexedScore) return;
    endpoint.indexToken += 1;
    endpoint.indexedScore = score;
    if (score === undefined) return;
    sequence += 1;
    index.push({ score, seq: sequence, token: endpoint.indexToken, endpoint });
    // Stale entries with future scores are only dropped when they surface; keep the heap bounded anyway.
    if (index.size > 2 * endpoints.size + 1024) {
      for (const entry of index.drain()) if (entry.token === entry.endpoint.indexToken) index.push(entry);
    }
  }

  function validIndexTop(): IndexEntry | undefined {
    for (;;) {
      const top = index.peek();
      if (top === undefined || top.token === top.endpoint.indexToken) return top;
      index.pop();
    }
  }

  /** Whether one more delivery of this endpoint may be leased right now (cap, breaker, rate limit). */
  function mayLease(endpoint: EndpointRecord, now: number): boolean {
    if (!isEnabled(endpoint)) return false;
    const { openUntil } = endpoint.health;
    if (openUntil !== undefined && now < openUntil) return false;
    const capacity = openUntil === undefined ? endpoint.config.policy.concurrency : 1;
    if (endpoint.counts.leased >= capacity) return false;
    const rate = endpoint.config.policy.rateLimit;
    if (rate !== undefined && endpoint.tat !== undefined) {
      const interval = 1000 / rate.perSecond;
      if (endpoint.tat - now > interval * (rate.burst - 1)) return false;
    }
    return endpoint.pausedUntil === undefined || endpoint.pausedUntil <= now;
  }

  function lease(endpoint: EndpointRecord, delivery: DeliveryRecord, workerId: string, now: number, leaseMs: number) {
    setStatus(delivery, "leased");
    delivery.attempts += 1;
    delivery.leasedBy = workerId;
    leaseSequence += 1;
    delivery.leaseToken = leaseSequence.toString(36);
    delivery.probe = endpoint.health.openUntil !== undefined;
    watchLease(delivery, now + leaseMs);
    const rate = endpoint.config.policy.rateLimit;
    if (rate !== undefined) endpoint.tat = Math.max(endpoint.tat ?? now, now) + 1000 / rate.perSecond;
  }

  function watchLease(delivery: DeliveryRecord, expiresAt: number): void {
    delivery.leaseExpiresAt = expiresAt;
    timers.push({
      at: expiresAt,
      isCurrent: () => delivery.status === "leased" && delivery.leaseExpiresAt === expiresAt,
      fire: () => {
        requeue(delivery, latestNow, false);
        reindex(endpointOf(delivery.endpointId));
      },
    });
  }

  /** Back to the queue at `dueAt` (expired lease, retry, release, 410); the caller re-indexes. */
  function requeue(delivery: DeliveryRecord, dueAt: number, release: boolean): void {
    const endpoint = endpointOf(delivery.endpointId);
    if (release) delivery.attempts = Math.max(0, delivery.attempts - 1);
    setStatus(delivery, "queued");
    delivery.leasedBy = undefined;
    delivery.leaseToken = undefined;
    delivery.probe = false;
    delivery.leaseExpiresAt = undefined;
    delivery.dueAt = dueAt;
    endpoint.queue.schedule(delivery);
  }

  /** Fencing: the delivery is leased by `workerId`, under `token` when one is given. */
  function holdsLease(delivery: DeliveryRecord, workerId: string, token: string | undefined): boolean {
    if (delivery.status !== "leased" || delivery.leasedBy !== workerId) return false;
    return token === undefined || delivery.leaseToken === token;
  }

  function logAttempt(delivery: DeliveryRecord, attempt: AttemptRecord | undefined): void {
    if (attempt === undefined) return;
    delivery.attemptLog.push(attempt);
    if (delivery.attemptLog.length > MAX_ATTEMPTS_LOGGED) delivery.attemptLog.shift();
  }

  function disable(endpoint: EndpointRecord, reason: string): void {
    endpoint.runtimeEnabled = false;
    endpoint.disabledReason = reason;
  }

  function countFailure(endpoint: EndpointRecord, now: number, probe: boolean): void {
    const reason = recordFailure(endpoint.health, endpoint.config.policy.breaker, now, probe);
    if (reason !== undefined && endpoint.runtimeEnabled) disable(endpoint, reason);
  }

  function deadEvent(delivery: DeliveryRecord, reason: string, now: number): SchedulerEvent {
    const eventType = messages.get(delivery.messageId)?.envelope.type;
    return {
      kind: "delivery.dead",
      endpointId: delivery.endpointId,
      at: now,
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      reason,
      attempts: delivery.attempts,
      ...(eventType === undefined ? {} : { eventType }),
    };
  }

  function applyResult(result: CompletionResult, delivery: DeliveryRecord, now: number): void {
    const endpoint = endpointOf(delivery.endpointId);
    const breaker = endpoint.config.policy.breaker;
    const probe = delivery.probe; // read before settle/requeue clear it
    switch (result.kind) {
      case "delivered":
        logAttempt(delivery, result.attempt);
        settle(endpoint, delivery, "delivered", undefined, now);
        recordSuccess(endpoint.health, breaker, now, probe);
        break;
      case "dead":
        logAttempt(delivery, result.attempt);
        settle(endpoint, delivery, "dead", result.reason, now);
        if (result.attempt !== undefined) countFailure(endpoint, now, probe);
        break;
      case "retry":
        logAttempt(delivery, result.attempt);
        countFailure(endpoint, now, probe);
        requeue(delivery, result.dueAt, false);
        break;
      case "throttled":
        // Backpressure: not a breaker failure; the endpoint waits until dueAt (its Retry-After).
        logAttempt(delivery, result.attempt);
        delivery.throttled += 1;
        endpoint.pausedUntil = Math.max(endpoint.pausedUntil ?? result.dueAt, result.dueAt);
        requeue(delivery, result.dueAt, false);
        break;
      case "gone":
        logAttempt(delivery, result.attempt);
        countFailure(endpoint, now, probe);
        disable(endpoint, "410 Gone");
        requeue(delivery, now, false);
        break;
      case "release":
        requeue(delivery, result.dueAt, true);
        break;
    }
    reindex(endpoint);
  }

  /** Delivered or dead: the delivery leaves the store; its record goes to the outbox (dead letters always). */
  function settle(
    endpoint: EndpointRecord,
    delivery: DeliveryRecord,
    status: "delivered" | "dead",
    deadReason: string | undefined,
    now: number,
  ): void {
    setStatus(delivery, status);
    delivery.leasedBy = undefined;
    delivery.leaseToken = undefined;
    delivery.leaseExpiresAt = undefined;
    endpoint.queue.finish(delivery);
    endpoint.deliveries.delete(delivery.id);
    deliveries.delete(delivery.id);
    const message = messages.get(delivery.messageId);
    if (message !== undefined) {
      message.refs -= 1;
      if (message.refs <= 0) messages.delete(delivery.messageId);
    }
    outbox.add({
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      endpointId: delivery.endpointId,
      status,
      ...(deadReason === undefined ? {} : { deadReason }),
      attempts: delivery.attempts,
      createdAt: delivery.createdAt,
      settledAt: now,
      ...(message === undefined ? {} : { envelope: message.envelope }),
      attemptLog: delivery.attemptLog,
    });
  }

  /** A settled delivery queued again (requeue): a fresh record with the same identity, due now. */
  function revive(request: RequeueRequest, endpoint: EndpointRecord, now: number): void {
    sequence += 1;
    const orderKey = endpoint.config.policy.orderedByKey ? request.envelope.key : undefined;
    const delivery = newDelivery(request.deliveryId, request.messageId, endpoint.id, request.createdAt, orderKey);
    delivery.dueAt = now;
    messages.set(request.messageId, {
      envelope: request.envelope,
      refs: (messages.get(request.messageId)?.refs ?? 0) + 1,
    });
    deliveries.set(delivery.id, delivery);
    endpoint.deliveries.set(delivery.id, delivery);
    endpoint.counts.queued += 1;
    endpoint.queue.add(delivery);
    reindex(endpoint);
  }

  function newDelivery(
    id: string,
    messageId: string,
    endpointId: string,
    createdAt: number,
    orderKey: string | undefined,
  ): DeliveryRecord {
    return {
      id,
      messageId,
      endpointId,
      createdAt,
      orderKey,
      seq: sequence,
      status: "queued",
      attempts: 0,
      throttled: 0,
      dueAt: createdAt,
      queueToken: 0,
      leasedBy: undefined,
      leaseToken: undefined,
      probe: false,
      leaseExpiresAt: undefined,
      attemptLog: [],
    };
  }

  function info(delivery: DeliveryRecord): DeliveryInfo {
    const message = messages.get(delivery.messageId);
    return {
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      endpointId: delivery.endpointId,
      status: delivery.status,
      attempts: delivery.attempts,
      createdAt: delivery.createdAt,
      ...(delivery.status === "queued" ? { dueAt: delivery.dueAt } : {}),
      ...(message === undefined ? {} : { envelope: message.envelope }),
    };
  }

  function stateOf(endpoint: EndpointRecord, now: number): EndpointState {
    const reason = !endpoint.runtimeEnabled
      ? endpoint.disabledReason
      : endpoint.config.enabled
        ? undefined
        : "disabled in config";
    const { openUntil, failingSince } = endpoint.health;
    return {
      endpointId: endpoint.id,
      enabled: isEnabled(endpoint),
      ...(reason === undefined ? {} : { disabledReason: reason }),
      breaker: breakerState(endpoint.health, now),
      ...(openUntil === undefined ? {} : { openUntil }),
      ...(failingSince === undefined ? {} : { failingSince }),
      queued: endpoint.counts.queued,
      inFlight: endpoint.counts.leased,
      dead: outbox.deadWaiting(endpoint.id),
    };
  }

  function addEndpoint(config: Endpoint): void {
    endpoints.set(config.id, {
      id: config.id,
      config,
      runtimeEnabled: true,
      disabledReason: undefined,
      queue: new EndpointQueue(),
      health: createHealth(),
      tat: undefined,
      pausedUntil: undefined,
      lastClaimAt: Number.NEGATIVE_INFINITY,
      indexToken: 0,
      indexedScore: undefined,
      counts: { queued: 0, leased: 0 },
      deliveries: new Map(),
    });
  }

  return {
    durable: false,

    async syncEndpoints(list) {
      advance(latestNow);
      for (const config of list) {
        const endpoint = endpoints.get(config.id);
        if (endpoint === undefined) addEndpoint(config);
        else {
          endpoint.config = config;
          reindex(endpoint);
        }
      }
      wake();
    },

    async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
      const { envelope, endpointIds, now } = request;
      advance(now);
      if (request.dedupKey !== undefined) {
        const seen = dedup.get(request.dedupKey);
        if (seen !== undefined && seen.expiresAt > now) return { ...seen.result, duplicate: true };
      }
      const targets = endpointIds.map(endpointOf);
      const scheduledBefore = new Map(targets.map((endpoint) => [endpoint, endpoint.indexedScore]));
      const messageId = nextId(now);
      messages.set(messageId, { envelope, refs: targets.length });
      const deliveryIds: string[] = [];
      for (const endpoint of targets) {
        sequence += 1;
        const orderKey = endpoint.config.policy.orderedByKey ? envelope.key : undefined;
        const delivery = newDelivery(nextId(now), messageId, endpoint.id, now, orderKey);
        deliveries.set(delivery.id, delivery);
        endpoint.deliveries.set(delivery.id, delivery);
        endpoint.counts.queued += 1;
        endpoint.queue.add(delivery);
        reindex(endpoint);
        deliveryIds.push(delivery.id);
      }
      const result: EnqueueResult = { messageId, deliveryIds, duplicate: false };
      if (request.dedupKey !== undefined) {
        const key = request.dedupKey;
        const entry = { result, expiresAt: now + (request.dedupTtlMs ?? 0) };
        dedup.set(key, entry);
        timers.push({ at: entry.expiresAt, isCurrent: () => dedup.get(key) === entry, fire: () => dedup.delete(key) });
      }
      const dueAt = enqueueWakeAt(scheduledBefore, now);
      if (dueAt !== undefined) wake(dueAt);
      return result;
    },

    async claim(request: ClaimRequest): Promise<ClaimResult> {
      const { workerId, max, leaseMs, now } = request;
      advance(now); // also returns expired leases to their queues
      const roomOf = (id: string) => request.rooms?.get(id) ?? request.endpointRoom ?? max;
      const due: EndpointRecord[] = [];
      // Endpoints this worker has no room for stay due, for other workers; put back once the claim is done.
      const skipped: EndpointRecord[] = [];
      const popTop = (): IndexEntry | undefined => {
        for (;;) {
          const top = validIndexTop();
          if (top === undefined || roomOf(top.endpoint.id) > 0) return top;
          index.pop();
          top.endpoint.indexToken += 1;
          top.endpoint.indexedScore = undefined;
          skipped.push(top.endpoint);
        }
      };
      // Endpoints in order of their due time; never more than `max` (each due one gets at least one).
      while (due.length < max) {
        const top = popTop();
        if (top === undefined || top.score > now) break;
        index.pop();
        top.endpoint.indexToken += 1;
        top.endpoint.indexedScore = undefined;
        due.push(top.endpoint);
      }
      const share = due.length === 0 ? 0 : Math.max(1, Math.floor(max / due.length));
      const claimed: ClaimedDelivery[] = [];
      for (const endpoint of due) {
        const limit = Math.min(share, roomOf(endpoint.id));
        for (let taken = 0; taken < limit && claimed.length < max && mayLease(endpoint, now); taken++) {
          const delivery = endpoint.queue.popDue(now);
          if (delivery === undefined) break;
          lease(endpoint, delivery, workerId, now, leaseMs);
          const message = messages.get(delivery.messageId);
          if (message === undefined) throw new HookyardError("STORE_CORRUPT", "a queued delivery lost its envelope");
          claimed.push({
            deliveryId: delivery.id,
            leaseToken: delivery.leaseToken ?? "",
            endpointId: endpoint.id,
            envelope: message.envelope,
            attempt: delivery.attempts,
            createdAt: delivery.createdAt,
            ...(delivery.throttled > 0 ? { throttled: delivery.throttled } : {}),
          });
        }
        endpoint.lastClaimAt = now;
        reindex(endpoint);
      }
      const next = popTop();
      const nextDueAt = next?.score;
      for (const endpoint of skipped) reindex(endpoint);
      return { deliveries: claimed, ...(nextDueAt === undefined ? {} : { nextDueAt }) };
    },

    async complete(workerId, results, now) {
      advance(now);
      let settled = false;
      let applied = 0;
      const stale: string[] = [];
      const unscheduled = new Set<EndpointRecord>();
      const before = new Map<EndpointRecord, HealthSnapshot>();
      const found: SchedulerEvent[] = [];
      for (const result of results) {
        const delivery = deliveries.get(result.deliveryId);
        if (delivery === undefined || !holdsLease(delivery, workerId, result.leaseToken)) {
          stale.push(result.deliveryId);
          // The attempt happened: keep it in the log of the (still live) delivery, marked, without applying it.
          if (delivery !== undefined && "attempt" in result && result.attempt !== undefined) {
            logAttempt(delivery, { ...result.attempt, stale: true });
          }
          continue;
        }
        const endpoint = endpointOf(delivery.endpointId);
        if (endpoint.indexedScore === undefined) unscheduled.add(endpoint);
        if (!before.has(endpoint)) before.set(endpoint, snapshotHealth(endpoint));
        if (result.kind === "dead") {
          // Without an attempt record the lease made none (its envelope was lost): not counted.
          if (result.attempt === undefined) delivery.attempts = Math.max(0, delivery.attempts - 1);
          found.push(deadEvent(delivery, result.reason, now)); // before applyResult: it releases the message
        }
        applyResult(result, delivery, now);
        applied += 1;
        if (result.kind === "delivered" || result.kind === "dead") settled = true;
      }
      for (const [endpoint, snapshot] of before) found.push(...healthEvents(endpoint, snapshot, now));
      if (settled) for (const listener of settledListeners) listener();
      events.emit(found);
      // As complete.lua does: an endpoint that was waiting for a lease to settle (concurrency cap, probe, per-key
      // order) has work again, which no claim's nextDueAt announced, from the time named (a 429: its Retry-After).
      let dueAt: number | undefined;
      for (const endpoint of unscheduled) {
        const at = endpoint.indexedScore;
        if (at !== undefined && (dueAt === undefined || at < dueAt)) dueAt = at;
      }
      if (dueAt !== undefined) wake(Math.max(now, dueAt));
      return { applied, stale };
    },

    async extendLeases(workerId, leases, leaseMs, now) {
      advance(now);
      for (const ref of leases) {
        const [id, token] = typeof ref === "string" ? [ref, undefined] : [ref.deliveryId, ref.leaseToken];
        const delivery = deliveries.get(id);
        if (delivery !== undefined && holdsLease(delivery, workerId, token)) watchLease(delivery, now + leaseMs);
      }
    },

    async getDelivery(deliveryId) {
      advance(latestNow);
      const delivery = deliveries.get(deliveryId);
      return delivery === undefined ? undefined : info(delivery);
    },

    async listAttempts(deliveryId) {
      advance(latestNow);
      return [...(deliveries.get(deliveryId)?.attemptLog ?? [])];
    },

    async requeue(requests, now) {
      advance(now);
      const queued: string[] = [];
      const scheduledBefore = new Map<EndpointRecord, number | undefined>();
      for (const request of requests) {
        const endpoint = endpoints.get(request.endpointId);
        if (endpoint === undefined || deliveries.has(request.deliveryId)) continue;
        if (!scheduledBefore.has(endpoint)) scheduledBefore.set(endpoint, endpoint.indexedScore);
        revive(request, endpoint, now);
        queued.push(request.deliveryId);
      }
      const dueAt = enqueueWakeAt(scheduledBefore, now); // a replay wakes as an enqueue does (requeue.lua)
      if (dueAt !== undefined) wake(dueAt);
      return queued;
    },

    async setEndpointEnabled(endpointId, enabled, now) {
      advance(now);
      const endpoint = endpointOf(endpointId);
      if (!enabled) {
        disable(endpoint, "disabled by operator");
        reindex(endpoint);
        return;
      }
      endpoint.runtimeEnabled = true;
      endpoint.disabledReason = undefined;
      resetHealth(endpoint.health);
      endpoint.pausedUntil = undefined;
      for (const delivery of endpoint.deliveries.values()) if (delivery.status === "queued") delivery.dueAt = now;
      endpoint.queue.rebuild();
      reindex(endpoint);
      wake();
    },

    async getEndpointState(endpointId, now) {
      advance(now);
      return stateOf(endpointOf(endpointId), now);
    },

    async keepRejected(message) {
      rejected.keep(message);
    },

    async listRejected(origin, limit) {
      return rejected.list(origin, limit);
    },

    async stats(): Promise<SchedulerStats> {
      advance(latestNow);
      const now = figuresNow();
      return {
        endpoints: [...endpoints.values()].map((endpoint) => stateOf(endpoint, now)),
        outbox: outbox.stats(now),
      };
    },

    async takeSettled(request) {
      return outbox.take(request);
    },

    async ackSettled(entries) {
      outbox.ack(entries);
    },

    async findSettled(deliveryId) {
      return outbox.find(deliveryId);
    },

    async outboxStats(now) {
      return outbox.stats(now ?? figuresNow());
    },

    onSettled(listener) {
      const own = () => listener();
      settledListeners.add(own);
      return () => {
        settledListeners.delete(own);
      };
    },

    onEvent(listener) {
      return events.subscribe(listener);
    },

    onWake(listener) {
      const own = (dueAt?: number) => listener(dueAt);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },

    async close() {
      closed = true;
      listeners.clear();
    },
  };
}

/** An endpoint's enabled flag and breaker before a `complete` call, to report what the call changed. */
interface HealthSnapshot {
  readonly enabled: boolean;
  readonly open: boolean;
}

function snapshotHealth(endpoint: EndpointRecord): HealthSnapshot {
  return { enabled: endpoint.runtimeEnabled, open: endpoint.health.openUntil !== undefined };
}

/** The same transitions complete.lua reports: disabled, closed → open (not a failed probe), and closed again. */
function healthEvents(endpoint: EndpointRecord, before: HealthSnapshot, at: number): SchedulerEvent[] {
  const found: SchedulerEvent[] = [];
  const endpointId = endpoint.id;
  if (before.enabled && !endpoint.runtimeEnabled) {
    found.push({ kind: "endpoint.disabled", endpointId, at, reason: endpoint.disabledReason ?? "" });
  }
  const { openUntil } = endpoint.health;
  if (!before.open && openUntil !== undefined)
    found.push({ kind: "endpoint.breaker.opened", endpointId, at, openUntil });
  if (before.open && openUntil === undefined) found.push({ kind: "endpoint.breaker.closed", endpointId, at });
  return found;
}
