import type { AttemptRecord, DeliveryOutcome, Endpoint } from "@hookyard/core";
import type { Clock } from "../clock.js";
import type { ClaimedDelivery } from "../store.js";
import type { SendDelivery } from "../worker.js";

/** Outcomes shaped like packages/delivery's, for worker tests. */
export const outcomes = {
  ok: (at: number): DeliveryOutcome => ({ kind: "delivered", attempt: record(at, { status: 200 }) }),
  status: (at: number, status: number): DeliveryOutcome => ({ kind: "retry", attempt: record(at, { status }) }),
  /** Timeouts wait at least the policy's throttle delay (delivery sets delayMs). */
  timeout: (at: number, delayMs = 60_000): DeliveryOutcome => ({
    kind: "retry",
    attempt: record(at, { errorClass: "timeout", errorMessage: "timed out" }),
    delayMs,
  }),
  throttled: (at: number, retryAfterMs: number): DeliveryOutcome => ({
    kind: "retry",
    attempt: record(at, { status: 429, responseHeaders: { "retry-after": String(retryAfterMs / 1000) } }),
    delayMs: retryAfterMs,
  }),
  redirect: (at: number): DeliveryOutcome => ({
    kind: "retry",
    attempt: record(at, { status: 302, errorClass: "redirect", errorMessage: "redirects are not followed" }),
  }),
  gone: (at: number): DeliveryOutcome => ({ kind: "gone", attempt: record(at, { status: 410 }) }),
  rejected: (at: number): DeliveryOutcome => ({
    kind: "rejected",
    attempt: record(at, { errorClass: "ssrf_blocked", errorMessage: "address 127.0.0.1 is not allowed" }),
  }),
};

function record(at: number, fields: Partial<AttemptRecord>): AttemptRecord {
  return { startedAt: new Date(at).toISOString(), durationMs: 1, ...fields };
}

export interface SentCall {
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly envelopeId: string;
  readonly attempt: number;
  readonly at: number;
  readonly signal: AbortSignal;
}

export type Respond = (call: SentCall, endpoint: Endpoint) => DeliveryOutcome | Promise<DeliveryOutcome>;

/** A `send` that records every call and answers with `respond`. */
export function createFakeSender(clock: Clock, respond: Respond): { send: SendDelivery; calls: SentCall[] } {
  const calls: SentCall[] = [];
  const send: SendDelivery = async (claimed: ClaimedDelivery, endpoint: Endpoint, signal: AbortSignal) => {
    const call: SentCall = {
      deliveryId: claimed.deliveryId,
      endpointId: claimed.endpointId,
      envelopeId: claimed.envelope.id,
      attempt: claimed.attempt,
      at: clock.now(),
      signal,
    };
    calls.push(call);
    return respond(call, endpoint);
  };
  return { send, calls };
}

/** A response that never comes until the send is aborted (worker shutdown); then it reports a timeout. */
export function hang(call: SentCall): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    call.signal.addEventListener("abort", () => resolve(outcomes.timeout(call.at)), { once: true });
  });
}
