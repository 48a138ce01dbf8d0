import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { DeliveryOutcome, Endpoint } from "@hookyard/core";
import { type Clock, systemClock } from "./clock.js";
import type { SchedulerLogger } from "./logger.js";
import { completionFor } from "./policy/completion-for.js";
import type { ClaimedDelivery, ClaimResult, CompletionResult, SchedulerStore } from "./store.js";
import { backoffDelay, sleep } from "./worker/backoff.js";
import { createCompletionBatcher } from "./worker/completion-batcher.js";
import { createEndpointLimits } from "./worker/endpoint-limits.js";
import { createWaiter } from "./worker/waiter.js";

/** Makes one attempt (packages/delivery in the runtime). Should resolve, not throw; `signal` aborts at shutdown. */
export type SendDelivery = (
  claimed: ClaimedDelivery,
  endpoint: Endpoint,
  signal: AbortSignal,
) => Promise<DeliveryOutcome>;

/** Metrics hooks, so the runtime can feed Prometheus without the scheduler depending on prom-client. */
export interface WorkerObserver {
  onAttempt?(endpointId: string, outcome: DeliveryOutcome, durationMs: number): void;
  onCompletion?(endpointId: string, result: CompletionResult): void;
  onClaim?(count: number, durationMs: number): void;
  /** Leases an enqueue pushed to this worker while it waited (see `SchedulerStore.onPush`): `taken` sent. */
  onPushed?(taken: number, released: number): void;
  onStoreError?(operation: "claim" | "complete" | "extendLeases", error: unknown): void;
  /**
   * A result the store refused because this worker's lease was lost meanwhile (expired and re-leased, or fenced
   * off by a newer claim): not applied; its attempt record stays in the delivery's attempt log, marked stale.
   */
  onStaleCompletion?(result: CompletionResult): void;
}

export interface WorkerOptions {
  readonly store: SchedulerStore;
  readonly send: SendDelivery;
  /** The endpoint config for a claimed delivery; undefined when this instance does not know it. */
  readonly endpoints: (endpointId: string) => Endpoint | undefined;
  readonly clock?: Clock;
  readonly logger?: SchedulerLogger;
  readonly observer?: WorkerObserver;
  /** Unique per worker; leases are held in its name. Default: a random UUID. */
  readonly workerId?: string;
  /** Most sends in flight at once, over all endpoints. Default 50. */
  readonly maxInFlight?: number;
  /**
   * Fairness and adaptive concurrency (see `worker/endpoint-limits.ts`): an attempt slower than this (or a send
   * in flight for longer) marks its endpoint slow: its concurrency halves (AIMD), it gets no more sends while one
   * is stuck, and slow endpoints together hold at most `slowShare` of `maxInFlight`. Latency growth over the
   * endpoint's own baseline halves its concurrency earlier. Default 2,000 ms.
   */
  readonly slowSendMs?: number;
  /** Share of `maxInFlight` that slow endpoints may hold together. Default 0.5. */
  readonly slowShare?: number;
  /** Lease length; leases of long sends are extended every third of it. Default 60 s. */
  readonly leaseMs?: number;
  /**
   * Longest idle wait before claiming again without a wake-up or a known due time: a safety net for missed
   * wake-ups, and how soon an idle worker takes back the expired leases of a dead one. Default 5 s (one claim
   * per 5 s idle: ~0.8 Redis commands/s, inner calls included).
   */
  readonly maxIdleMs?: number;
  /**
   * Longest a settled result waits for company (real ms): other results, or the worker's next claim, which
   * carries it in the same write to the store (on Redis, in the same script call: complete-claim.lua). Results
   * that something may wait for — a claim of this worker, an ordered endpoint's next delivery, an endpoint at its
   * concurrency, a retry or dead letter — go at once. Default 100: a worker fed by pushes makes no claims for
   * its results to ride, and at 200/s 100 ms settle ~20 results per call where 20 ms settled ~4 (bench/README.md,
   * "Ninth pass").
   */
  readonly flushLingerMs?: number;
  /** Most results per `complete` call. Default 200. */
  readonly maxCompletionBatch?: number;
  /** Backoff after store errors. Default 100 ms doubling up to 10 s, jittered. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** How long a delivery for an endpoint this instance does not know is put back. Default 60 s. */
  readonly unknownEndpointDelayMs?: number;
  /** Randomness for retry jitter and backoff; [0, 1). Default Math.random. */
  readonly random?: () => number;
}

export interface RunOnceReport {
  readonly claimed: number;
  readonly results: readonly CompletionResult[];
  readonly nextDueAt?: number;
}

export interface Worker {
  readonly id: string;
  /** Sends in flight now. */
  readonly inFlight: number;
  /** Starts the claim loop (idempotent). */
  start(): void;
  /** Stops claiming, waits up to `graceMs` (default 10 s) for sends, releases the rest. Idempotent. */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
  /** One claim → send → complete cycle with the injected clock, for tests. */
  runOnce(): Promise<RunOnceReport>;
}

interface SendBatch {
  /** Whether a result of the batch may be waited for (see isAwaited). */
  awaited: boolean;
  settledOne(): void;
}

interface InFlightSend {
  readonly claimed: ClaimedDelivery;
  readonly settled: Promise<CompletionResult | undefined>;
  /** Fencing token of the lease the result settles: a re-claim of a running send (lease lapsed) renews it. */
  leaseToken: string;
  released: boolean;
}

/** Least time the final flush of results gets at shutdown, after the grace period. */
const FINAL_FLUSH_MS = 1000;

/** The endpoints a claim gave no room: their due work stays in the store until one of their sends settles. */
function withoutRoom(rooms: ReadonlyMap<string, number>): ReadonlySet<string> {
  const none = new Set<string>();
  for (const [endpointId, room] of rooms) if (room <= 0) none.add(endpointId);
  return none;
}

/** Idle wait when a store says "due now" without handing out work, so it cannot spin the loop. */
const MIN_WAIT_MS = 5;

export function createWorker(options: WorkerOptions): Worker {
  const { store, send, endpoints, logger, observer } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? randomUUID();
  const maxInFlight = options.maxInFlight ?? 50;
  const leaseMs = options.leaseMs ?? 60_000;
  const maxIdleMs = options.maxIdleMs ?? 5000;
  const backoff = options.backoff ?? { minMs: 100, maxMs: 10_000 };
  const unknownEndpointDelayMs = options.unknownEndpointDelayMs ?? 60_000;

  const inFlight = new Map<string, InFlightSend>();
  const limits = createEndpointLimits({
    maxInFlight,
    slowSendMs: options.slowSendMs ?? 2000,
    slowShare: options.slowShare ?? 0.5,
  });
  const waiter = createWaiter(clock);
  const stopSignal = new AbortController();
  // Aborts the sends still running when the grace period is over (they are released, see stop). One signal for
  // all sends rather than an AbortController each: a controller, its signal and their listeners per delivery were
  // ~2 KB of garbage, kept alive (and so promoted by the GC) for the whole send.
  const abandon = new AbortController();
  setMaxListeners(Number.POSITIVE_INFINITY, abandon.signal);
  const batcher = createCompletionBatcher({
    store,
    workerId,
    clock,
    logger,
    lingerMs: options.flushLingerMs ?? 100,
    maxBatch: options.maxCompletionBatch ?? 200,
    backoff,
    random,
    // Stored results free capacity here and in the store (endpoint cap, per-key order): claim again, once per
    // flush rather than once per settled send, so claims stay batched — but only when a claim may have left work
    // behind for want of that capacity. Otherwise there is nothing for the freed slots to take (work that became
    // due in the store meanwhile is PUBLISHed by enqueue/complete), and at a quiet rate that empty claim after
    // every `complete` was one script call per one or two deliveries.
    // A `complete` written before the running claim (kicked by it, or already under way) was applied before it:
    // that claim saw what it freed, so only a later one wakes the loop.
    mark: () => claimsStarted,
    onFlushed: (claimsWhenSent) => {
      if (claimLeftWork || (claimInFlight && claimsWhenSent >= claimsStarted)) waiter.wake();
    },
    onError: (error) => notify(() => observer?.onStoreError?.("complete", error)),
    onStale: (results) => {
      logger?.warn({ deliveryIds: results.map((result) => result.deliveryId) }, "scheduler results were stale");
      for (const result of results) notify(() => observer?.onStaleCompletion?.(result));
    },
  });
  // Whether a claim is running (a flush meanwhile may free what it was denied: remember the wake), and whether
  // the last one may have left due work behind: it filled what it asked for, the store has more due now, or a
  // send settled of an endpoint it gave no room (`roomless`: left out of `nextDueAt`, so only that send's flush
  // brings them back; any other result frees nothing they wait for, and at a quiet rate with a few stuck
  // endpoints waking on every result was a claim per pushed batch).
  let claimInFlight = false;
  let claimLeftWork = false;
  let roomless: ReadonlySet<string> = new Set();
  /** A send of a `roomless` endpoint settled since the last claim computed its rooms. */
  let roomFreed = false;
  let claimsStarted = 0;
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let cancelExtender: (() => void) | undefined;

  function notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      logger?.warn({ err: error }, "scheduler observer failed");
    }
  }

  function scheduleLeaseExtension(): void {
    cancelExtender ??= clock.setTimer(
      () => {
        cancelExtender = undefined;
        if (stopping === undefined) scheduleLeaseExtension();
        const leases = [...inFlight.values()].map((entry) => ({
          deliveryId: entry.claimed.deliveryId,
          leaseToken: entry.leaseToken,
        }));
        if (leases.length === 0) return;
        store.extendLeases(workerId, leases, leaseMs, clock.now()).catch((error: unknown) => {
          logger?.warn({ err: error, leases: leases.length }, "scheduler lease extension failed");
          notify(() => observer?.onStoreError?.("extendLeases", error));
        });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
  }

  async function attempt(claimed: ClaimedDelivery, endpoint: Endpoint, signal: AbortSignal): Promise<DeliveryOutcome> {
    const startedAt = clock.now();
    try {
      return await send(claimed, endpoint, signal);
    } catch (error) {
      // A sender should classify every failure; a throw is a bug there, retried like a network error.
      logger?.error({ err: error, deliveryId: claimed.deliveryId }, "scheduler send threw");
      return {
        kind: "retry",
        attempt: {
          startedAt: new Date(startedAt).toISOString(),
          durationMs: Math.max(0, clock.now() - startedAt),
          errorClass: "network",
          errorMessage: error instanceof Error ? error.message : String(error),
        },
      };
    }
  }

  /**
   * Whether something may be waiting for this result to be stored, so it should not linger for the next claim:
   * a retry or a dead letter, an ordered endpoint's next delivery (held back by the store until this one
   * settles), or an endpoint that was at its concurrency (the store gives it no more until a result frees a
   * slot: this worker only sees its own sends, so at the cap it assumes so).
   */
  function isAwaited(result: CompletionResult, endpoint: Endpoint): boolean {
    return (
      result.kind !== "delivered" ||
      endpoint.policy.orderedByKey ||
      limits.inFlightOf(endpoint.id) + 1 >= endpoint.policy.concurrency
    );
  }

  /** Starts one send; its promise settles with the result handed to the batcher (undefined once released). */
  function startSend(claimed: ClaimedDelivery, batch: SendBatch): Promise<CompletionResult | undefined> {
    const running = inFlight.get(claimed.deliveryId);
    if (running !== undefined) {
      // Our lease lapsed (extension failed) and we got the delivery back: the send under way settles it, under
      // the new lease's fencing token (the old one is fenced off).
      running.leaseToken = claimed.leaseToken;
      batch.settledOne();
      return running.settled;
    }
    const endpoint = endpoints(claimed.endpointId);
    if (endpoint === undefined) {
      logger?.warn({ deliveryId: claimed.deliveryId, endpointId: claimed.endpointId }, "scheduler endpoint unknown");
      const result: CompletionResult = {
        deliveryId: claimed.deliveryId,
        kind: "release",
        dueAt: clock.now() + unknownEndpointDelayMs,
        leaseToken: claimed.leaseToken,
      };
      batcher.add(result);
      batch.awaited = true;
      batch.settledOne();
      return Promise.resolve(result);
    }
    const started = performance.now();
    limits.started(claimed.endpointId, claimed.deliveryId, clock.now());
    const settled = attempt(claimed, endpoint, abandon.signal).then((outcome) => {
      if (entry.released) return undefined;
      inFlight.delete(claimed.deliveryId);
      const durationMs = performance.now() - started;
      const concurrency = endpoint.policy.concurrency;
      const decided = completionFor(claimed, outcome, endpoint.policy.retry, clock.now(), random);
      const heldUntil = decided.kind === "throttled" ? decided.dueAt : undefined; // the store holds it till then
      limits.settled(claimed.endpointId, claimed.deliveryId, outcome, clock.now(), concurrency, heldUntil);
      if (roomless.has(claimed.endpointId)) {
        roomFreed = true;
        claimLeftWork = true;
      }
      notify(() => observer?.onAttempt?.(claimed.endpointId, outcome, durationMs));
      const result: CompletionResult = { ...decided, leaseToken: entry.leaseToken };
      logger?.debug({ deliveryId: claimed.deliveryId, attempt: claimed.attempt, result: result.kind }, "attempt done");
      notify(() => observer?.onCompletion?.(claimed.endpointId, result));
      batcher.add(result);
      if (isAwaited(result, endpoint)) batch.awaited = true;
      batch.settledOne();
      return result;
    });
    const entry: InFlightSend = { claimed, settled, leaseToken: claimed.leaseToken, released: false };
    inFlight.set(claimed.deliveryId, entry);
    return settled;
  }

  /**
   * Sends a claimed batch. Once its last send settles, its results are flushed at once when something may wait
   * for them (a claim of this worker, or see isAwaited); otherwise they linger for the next claim (or
   * `flushLingerMs`), which carries them in its write: at a quiet rate that saves a round trip per claim.
   */
  function sendBatch(deliveries: readonly ClaimedDelivery[]): Promise<CompletionResult | undefined>[] {
    let remaining = deliveries.length;
    const batch: SendBatch = {
      awaited: false,
      settledOne() {
        remaining -= 1;
        if (remaining === 0 && (batch.awaited || claimInFlight || claimLeftWork)) batcher.kick();
      },
    };
    return deliveries.map((claimed) => startSend(claimed, batch));
  }

  async function claim(): Promise<ClaimResult> {
    const started = performance.now();
    const now = clock.now();
    const { rooms, endpointRoom, reserve } = limits.rooms(now);
    roomless = withoutRoom(rooms);
    roomFreed = false;
    const max = Math.max(1, maxInFlight - inFlight.size - reserve);
    // Lingering results go out now, in the same write as this claim, and are applied before it.
    batcher.kick();
    claimsStarted += 1;
    claimInFlight = true;
    let result: ClaimResult;
    try {
      result = await store.claim({ workerId, max, leaseMs, now, rooms, endpointRoom });
    } finally {
      claimInFlight = false;
    }
    claimLeftWork =
      result.deliveries.length >= max ||
      (result.nextDueAt !== undefined && result.nextDueAt <= clock.now()) ||
      roomFreed; // while the claim ran: it gave that endpoint no room all the same
    notify(() => observer?.onClaim?.(result.deliveries.length, performance.now() - started));
    return result;
  }

  /**
   * Leases an enqueue pushed while this worker waited: sent like a claim's, except those its limits would not
   * have claimed now (over its budget, or an endpoint that turned slow or reached its adaptive limit since the
   * registration): given back at once, and the loop claims with its limits as they are (which registers the rooms
   * it has now: the store pushes within them).
   */
  function takePushed(deliveries: readonly ClaimedDelivery[]): void {
    if (stopping !== undefined) {
      releaseNow(deliveries);
      return;
    }
    const now = clock.now();
    const take: ClaimedDelivery[] = [];
    const back: ClaimedDelivery[] = [];
    for (const claimed of deliveries) {
      const limit = limits.limitOf(claimed.endpointId);
      const over =
        inFlight.size + take.length >= maxInFlight ||
        limits.isSlow(claimed.endpointId, now) ||
        (limit !== undefined && limits.inFlightOf(claimed.endpointId) >= limit);
      (over ? back : take).push(claimed);
    }
    notify(() => observer?.onPushed?.(take.length, back.length));
    if (back.length > 0) {
      releaseNow(back);
      waiter.wake();
    }
    sendBatch(take);
  }

  function releaseNow(leases: readonly { readonly deliveryId: string; readonly leaseToken: string }[]): void {
    for (const { deliveryId, leaseToken } of leases) {
      batcher.add({ deliveryId, kind: "release", dueAt: clock.now(), leaseToken });
    }
    batcher.kick();
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (stopping === undefined) {
      const free = maxInFlight - inFlight.size;
      if (free <= 0) {
        claimLeftWork = true;
        await waiter.wait(maxIdleMs); // the next flush of results wakes us
        continue;
      }
      let result: ClaimResult;
      try {
        result = await claim();
        failures = 0;
      } catch (error) {
        failures += 1;
        const retryInMs = backoffDelay(failures, backoff.minMs, backoff.maxMs, random);
        logger?.warn({ err: error, failures, retryInMs }, "scheduler claim failed");
        notify(() => observer?.onStoreError?.("claim", error));
        await sleep(retryInMs, stopSignal.signal);
        continue;
      }
      if (stopping !== undefined) {
        releaseNow(result.deliveries);
        break;
      }
      sendBatch(result.deliveries);
      const now = clock.now();
      const moreDue = result.nextDueAt !== undefined && result.nextDueAt <= now;
      if (result.deliveries.length === free || (moreDue && result.deliveries.length > 0)) continue;
      const until = Math.min(result.nextDueAt ?? Number.POSITIVE_INFINITY, now + maxIdleMs);
      // A known future due time is waited for exactly (a rate-limited endpoint loses every ms of lateness);
      // the floor only stops a store that says "due now" without handing out work from spinning the loop.
      await waiter.wait(until > now ? until - now : MIN_WAIT_MS);
    }
  }

  async function waitForSends(graceMs: number): Promise<void> {
    if (inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all([...inFlight.values()].map((entry) => entry.settled)), grace]);
    clearTimeout(timer);
  }

  let unsubscribeWake: (() => void) | undefined;
  let unsubscribePush: (() => void) | undefined;

  return {
    id: workerId,
    get inFlight() {
      return inFlight.size;
    },

    start() {
      if (loop !== undefined || stopping !== undefined) return;
      // A wake-up naming a later time (a 429 held until its Retry-After) shortens the wait to it: no claim now
      // that could only come back empty.
      unsubscribeWake = store.onWake((dueAt) =>
        dueAt !== undefined && dueAt > clock.now() ? waiter.wakeAt(dueAt) : waiter.wake(),
      );
      // Registered by each claim that leaves room, for twice the longest idle wait: the loop claims again within
      // that, so a waiting worker stays registered, and a vanished one is dropped by the enqueue (no receiver).
      unsubscribePush = store.onPush?.(workerId, takePushed, { idleTtlMs: 2 * maxIdleMs });
      scheduleLeaseExtension();
      loop = run().catch((error: unknown) => {
        logger?.error({ err: error }, "scheduler worker loop failed");
      });
    },

    stop({ graceMs = 10_000 } = {}) {
      stopping ??= (async () => {
        unsubscribeWake?.();
        unsubscribePush?.();
        stopSignal.abort();
        waiter.wake();
        cancelExtender?.();
        const deadline = Date.now() + graceMs;
        // The loop ends after its current store call; a hanging call must not hold shutdown past the grace.
        if (loop !== undefined) {
          const graceOver = new AbortController();
          await Promise.race([loop, sleep(graceMs, graceOver.signal)]);
          graceOver.abort();
        }
        await waitForSends(Math.max(0, deadline - Date.now()));
        const unsent = [...inFlight.values()];
        inFlight.clear();
        for (const entry of unsent) entry.released = true;
        abandon.abort();
        releaseNow(unsent.map((entry) => ({ deliveryId: entry.claimed.deliveryId, leaseToken: entry.leaseToken })));
        if (unsent.length > 0) logger?.info({ released: unsent.length }, "scheduler released unsent deliveries");
        // The last results (releases included) normally take milliseconds: shutdown ends within grace + ~1 s. A
        // slow Redis gets up to another grace period rather than lose them: a dropped "delivered" would be sent
        // again once its lease expired.
        await batcher.close(Math.max(FINAL_FLUSH_MS, graceMs));
      })();
      return stopping;
    },

    async runOnce() {
      const result = await claim();
      const settled = await Promise.all(sendBatch(result.deliveries));
      await batcher.flush();
      return {
        claimed: result.deliveries.length,
        results: settled.filter((item): item is CompletionResult => item !== undefined),
        ...(result.nextDueAt === undefined ? {} : { nextDueAt: result.nextDueAt }),
      };
    },
  };
}
