import { HookyardError } from "@hookyard/core";
import type { EndpointState, SchedulerStore } from "@hookyard/scheduler";
import { iso } from "./views.js";

/** Most endpoints one "queued now" answer reads (one scheduler read each); an owner's or one endpoint's fit. */
export const MAX_LIVE_ENDPOINTS = 200;
const PARALLEL = 20;

/**
 * What keeps an endpoint's queued deliveries from being sent now, if anything: its breaker (open until a time,
 * or half-open, letting one probe through) or the endpoint being disabled. The history only has settled
 * deliveries, so this is how the delivery log shows queued ones as "held by the breaker".
 */
export function holdOf(state: EndpointState) {
  if (!state.enabled) return { heldBy: "disabled" as const, reason: state.disabledReason ?? "disabled" };
  if (state.breaker === "open") {
    return {
      heldBy: "breaker" as const,
      reason: "the endpoint's circuit breaker is open after repeated failures",
      ...(state.openUntil === undefined ? {} : { until: iso(state.openUntil) }),
    };
  }
  if (state.breaker === "half-open") {
    return { heldBy: "breaker" as const, reason: "the circuit breaker is half-open: one probe at a time" };
  }
  return undefined;
}

/**
 * The scheduler's state of an endpoint, or undefined when the scheduler does not know it (yet: another instance
 * created it a moment ago), so one such endpoint does not fail a whole answer.
 */
export async function endpointStateIfKnown(
  store: SchedulerStore,
  endpointId: string,
  now: number,
): Promise<EndpointState | undefined> {
  try {
    return await store.getEndpointState(endpointId, now);
  } catch (error) {
    if (error instanceof HookyardError && error.code === "ENDPOINT_UNKNOWN") return undefined;
    throw error;
  }
}

/**
 * The live (queued or in flight) deliveries per endpoint, from the scheduler, for endpoints that have any: how
 * many, and what holds them. `endpointIds` undefined: every known endpoint (the first `MAX_LIVE_ENDPOINTS`).
 */
export async function liveQueues(store: SchedulerStore, endpointIds: readonly string[], now: number) {
  const ids = endpointIds.slice(0, MAX_LIVE_ENDPOINTS);
  const states: EndpointState[] = [];
  for (let i = 0; i < ids.length; i += PARALLEL) {
    const chunk = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => endpointStateIfKnown(store, id, now)));
    for (const state of chunk) if (state !== undefined) states.push(state);
  }
  return {
    data: states
      .filter((state) => state.queued + state.inFlight > 0)
      .map((state) => {
        const hold = holdOf(state);
        return {
          endpointId: state.endpointId,
          queued: state.queued,
          inFlight: state.inFlight,
          breaker: state.breaker,
          ...(hold === undefined ? {} : { hold }),
        };
      }),
    ...(endpointIds.length > ids.length ? { truncated: true } : {}),
  };
}
