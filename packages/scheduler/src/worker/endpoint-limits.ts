import type { DeliveryOutcome } from "@hookyard/core";

export interface EndpointLimitsOptions {
  /** The worker's in-flight budget (`maxInFlight`). */
  readonly maxInFlight: number;
  /** An attempt slower than this, or a send in flight for longer, marks the endpoint slow. */
  readonly slowSendMs: number;
  /** Share of `maxInFlight` that slow endpoints may hold together (the rest stays for the others). */
  readonly slowShare: number;
}

/** What a claim may take per endpoint: `rooms` for the listed endpoints, `endpointRoom` for all others. */
export interface ClaimRooms {
  readonly rooms: Map<string, number>;
  readonly endpointRoom: number;
  /**
   * Slots one claim leaves free for endpoints that become due later (one fair share): endpoints not yet known
   * to hang never take the whole budget at once.
   */
  readonly reserve: number;
}

/**
 * Per-endpoint concurrency of one worker: an adaptive limit (AIMD) and the worker's fair share.
 *
 * - **Adaptive limit**: starts at the policy's `concurrency`; halves (min 1) on an overload signal — a timeout or
 *   connection failure, an attempt slower than `slowSendMs`, backpressure (429/503), or **latency growth**: an
 *   answer slower than twice the endpoint's own baseline (and at least `MIN_GROWTH_MS` slower) while the worker
 *   had two or more sends in flight to it — at most once per window (sends started before the last decrease don't
 *   halve it again), and grows by one per prompt answer (within that growth bound), back up to `concurrency`. So
 *   an endpoint that slows down under our load gets less concurrency long before `slowSendMs`, and recovers once
 *   fast again. The baseline is the mean of the endpoint's first answers, then a slow moving average
 *   (`BASELINE_DRIFT`), and says nothing before `MIN_ANSWERS`: a burst of slow answers stands out against it, a
 *   lasting change becomes the endpoint's new normal (then only `slowSendMs` and the other signals limit it). Not
 *   a minimum: in a saturated worker every answer is slower than the fastest one ever seen, and that must not
 *   read as every endpoint slowing down.
 * - **Throttled endpoints**: while the store holds an endpoint after a 429/503 (until the result's due time),
 *   its lowered limit is not sent with claims (the store gives it nothing then anyway): fifty throttled endpoints
 *   do not add a hundred arguments to every claim for a minute.
 * - **Max-min fair share**: no endpoint holds more than `maxInFlight / (endpoints sending + 1)` slots of this
 *   worker while others may be waiting; the store's claim also gives each due endpoint at most its share of one
 *   claim, so the budget is split across the endpoints with work.
 * - **Stuck sends**: an endpoint with a send in flight for longer than `slowSendMs` gets nothing more until it
 *   settles (a hanging or byte-dripping endpoint does not pile up sends while its first ones wait for the
 *   deadline), and slow endpoints together hold at most `slowShare` of the budget.
 *
 * Pure bookkeeping with times passed in, so tests drive it with the manual clock.
 */
export interface EndpointLimits {
  started(endpointId: string, deliveryId: string, now: number): void;
  /**
   * A send settled (`outcome` undefined: released without an attempt). `heldUntil`: a throttled result's due
   * time, until which the store holds the endpoint.
   */
  settled(
    endpointId: string,
    deliveryId: string,
    outcome: DeliveryOutcome | undefined,
    now: number,
    concurrency: number,
    heldUntil?: number,
  ): void;
  /** Sends of the endpoint in flight now. */
  inFlightOf(endpointId: string): number;
  /** The current adaptive limit (undefined: never limited, i.e. the policy's concurrency). */
  limitOf(endpointId: string): number | undefined;
  /** Whether the endpoint counts as slow now (slow answers, or a send stuck past `slowSendMs`). */
  isSlow(endpointId: string, now: number): boolean;
  /** Rooms for the next claim. */
  rooms(now: number): ClaimRooms;
}

/**
 * Latency growth that counts as an overload signal: an answer slower than `LATENCY_GROWTH` × the baseline and
 * at least `MIN_GROWTH_MS` over it (on loopback a 1 → 3 ms jump is noise, not queueing at the endpoint).
 */
const LATENCY_GROWTH = 2;
const MIN_GROWTH_MS = 50;
/** Share of the gap each answer moves the baseline (after the first 16: their mean): a burst barely moves it. */
const BASELINE_DRIFT = 1 / 16;
/** Answers before the baseline counts: the first ones of a new connection or a cold endpoint vary widely. */
const MIN_ANSWERS = 8;

interface Baseline {
  latencyMs: number;
  answers: number;
}

interface EndpointEntry {
  /** Adaptive limit; undefined until an overload signal lowered it. */
  limit: number | undefined;
  slow: boolean;
  /** When the limit was last halved: sends started before then do not halve it again (once per window). */
  decreasedAt: number;
  /** Until when the store holds the endpoint (a throttled result's due time): not listed in claims till then. */
  heldUntil: number;
  /** Sends in flight: delivery id → start time. */
  readonly sends: Map<string, number>;
}

const OVERLOAD_ERRORS = new Set(["timeout", "connect", "network", "dns", "tls"]);

function isOverload(outcome: DeliveryOutcome, durationMs: number, slowSendMs: number): boolean {
  if (durationMs > slowSendMs) return true;
  const { status, errorClass } = outcome.attempt;
  if (outcome.kind === "retry" && (status === 429 || status === 503)) return true;
  return errorClass !== undefined && OVERLOAD_ERRORS.has(errorClass);
}

export function createEndpointLimits(options: EndpointLimitsOptions): EndpointLimits {
  const { maxInFlight, slowSendMs } = options;
  const slowCap = Math.max(1, Math.floor(maxInFlight * options.slowShare));
  const entries = new Map<string, EndpointEntry>();
  // Each endpoint's baseline latency, kept apart from `entries` (which every claim walks): one small object per
  // endpoint this worker has sent to.
  const baselines = new Map<string, Baseline>();

  function entryOf(endpointId: string): EndpointEntry {
    let entry = entries.get(endpointId);
    if (entry === undefined) {
      entry = {
        limit: undefined,
        slow: false,
        decreasedAt: Number.NEGATIVE_INFINITY,
        heldUntil: Number.NEGATIVE_INFINITY,
        sends: new Map(),
      };
      entries.set(endpointId, entry);
    }
    return entry;
  }

  /** Multiplicative decrease, once per window: the sends already under way saw the old limit. */
  function decrease(entry: EndpointEntry, startedAt: number, now: number, concurrency: number): void {
    if (startedAt < entry.decreasedAt) return;
    entry.limit = Math.max(1, Math.floor((entry.limit ?? concurrency) / 2));
    entry.decreasedAt = now;
  }

  /** Whether an answer was prompt against the endpoint's baseline (while it is unknown, every one is); learns. */
  function promptAnswer(endpointId: string, durationMs: number): boolean {
    let baseline = baselines.get(endpointId);
    if (baseline === undefined) {
      baseline = { latencyMs: durationMs, answers: 0 };
      baselines.set(endpointId, baseline);
    }
    const { latencyMs, answers } = baseline;
    const prompt =
      answers < MIN_ANSWERS || durationMs <= Math.max(latencyMs * LATENCY_GROWTH, latencyMs + MIN_GROWTH_MS);
    baseline.answers = answers + 1;
    baseline.latencyMs += (durationMs - latencyMs) * Math.max(1 / baseline.answers, BASELINE_DRIFT);
    return prompt;
  }

  function stuck(entry: EndpointEntry, now: number): boolean {
    for (const startedAt of entry.sends.values()) if (now - startedAt > slowSendMs) return true;
    return false;
  }

  return {
    started(endpointId, deliveryId, now) {
      entryOf(endpointId).sends.set(deliveryId, now);
    },

    settled(endpointId, deliveryId, outcome, now, concurrency, heldUntil) {
      const entry = entries.get(endpointId);
      if (entry === undefined) return;
      const startedAt = entry.sends.get(deliveryId) ?? now;
      const concurrent = entry.sends.size;
      entry.sends.delete(deliveryId);
      if (heldUntil !== undefined) entry.heldUntil = Math.max(entry.heldUntil, heldUntil);
      if (outcome !== undefined) {
        const durationMs = now - startedAt;
        if (isOverload(outcome, durationMs, slowSendMs)) {
          entry.slow = true;
          decrease(entry, startedAt, now, concurrency);
        } else {
          entry.slow = false;
          const prompt = promptAnswer(endpointId, durationMs);
          // Slower with one send in flight is not queueing at the endpoint: a lower limit would change nothing.
          if (!prompt && concurrent >= 2) decrease(entry, startedAt, now, concurrency);
          else if (prompt && entry.limit !== undefined) {
            entry.limit = entry.limit + 1 >= concurrency ? undefined : entry.limit + 1;
          }
        }
      }
      // Forget endpoints back to normal with nothing in flight: the map stays as small as the trouble.
      if (entry.sends.size === 0 && entry.limit === undefined && !entry.slow) entries.delete(endpointId);
    },

    inFlightOf(endpointId) {
      return entries.get(endpointId)?.sends.size ?? 0;
    },

    limitOf(endpointId) {
      return entries.get(endpointId)?.limit;
    },

    isSlow(endpointId, now) {
      const entry = entries.get(endpointId);
      return entry !== undefined && (entry.slow || stuck(entry, now));
    },

    rooms(now) {
      // Max-min: endpoints with a stuck send keep what they hold and get no more; the rest of the budget is
      // shared by the endpoints sending normally and one more (a newcomer).
      let sending = 0;
      let slowHeld = 0;
      let stuckHeld = 0;
      const state = new Map<EndpointEntry, "stuck" | "slow" | "ok">();
      for (const entry of entries.values()) {
        const held = entry.sends.size;
        const kind = stuck(entry, now) ? "stuck" : entry.slow ? "slow" : "ok";
        state.set(entry, kind);
        if (kind === "stuck") stuckHeld += held;
        else if (held > 0) sending += 1;
        if (kind !== "ok") slowHeld += held;
      }
      const fairShare = Math.max(1, Math.floor((maxInFlight - stuckHeld) / (sending + 1)));
      const rooms = new Map<string, number>();
      for (const [endpointId, entry] of entries) {
        const kind = state.get(entry);
        const held = entry.sends.size;
        // A healthy endpoint holding under half its share is left to `endpointRoom` (at most 1.5 shares then):
        // the claim's argument list stays as short as the trouble at low load.
        if (kind === "ok" && entry.limit === undefined && held * 2 < fairShare) continue;
        if (held === 0 && now < entry.heldUntil) continue; // the store holds it (throttled): nothing to claim
        let room = Math.min(entry.limit ?? fairShare, fairShare) - held;
        if (kind === "stuck" || (kind === "slow" && slowHeld >= slowCap)) room = 0;
        rooms.set(endpointId, Math.max(0, room));
      }
      const reserve = Math.floor((maxInFlight - stuckHeld) / (sending + 2));
      return { rooms, endpointRoom: fairShare, reserve };
    },
  };
}
