import { randomBytes } from "node:crypto";
import type { BreakerPolicy } from "@hookyard/core";
import {
  type AttemptRecord,
  createEnvelope,
  DEFAULT_BREAKER_POLICY,
  DEFAULT_ENDPOINT_POLICY,
  type Endpoint,
  type EndpointPolicy,
  type Envelope,
} from "@hookyard/core";
import type { ClaimedDelivery, SchedulerStore, SettledRecord } from "../store.js";

/** An id no other test (or concurrent run sharing a Redis) uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

export interface PolicyOverrides extends Partial<Omit<EndpointPolicy, "breaker">> {
  readonly breaker?: Partial<BreakerPolicy>;
}

/**
 * An endpoint for store tests. The breaker never opens and never disables unless a test asks, so tests only
 * see the behaviour they are about.
 */
export function testEndpoint(id: string, overrides: PolicyOverrides = {}, enabled = true): Endpoint {
  const { breaker, ...rest } = overrides;
  return {
    id,
    url: `https://hooks.example.test/${id}`,
    owner: "conformance",
    secrets: [],
    headers: {},
    enabled,
    policy: {
      ...DEFAULT_ENDPOINT_POLICY,
      concurrency: 10,
      ...rest,
      breaker: { ...DEFAULT_BREAKER_POLICY, minRequests: 1_000_000, disableAfterMs: 0, ...breaker },
    },
  };
}

/** `payloadBytes`: a payload of that size (at least 6), e.g. past the size the Redis store writes ahead. */
export function testEnvelope(key?: string, payloadBytes = 6): Envelope {
  // Bytes that do not survive a UTF-8 round trip, to prove the payload is kept byte-exact.
  const data = new Uint8Array(Math.max(6, payloadBytes)).fill(0x61);
  data.set([0x7b, 0x00, 0xff, 0xfe, 0x80]);
  data[data.length - 1] = 0x7d;
  return createEnvelope({
    id: uniqueId("evt"),
    source: "conformance",
    type: "test.event",
    data,
    headers: { "x-test": "yes" },
    ...(key === undefined ? {} : { key }),
  });
}

export function attemptAt(now: number, status?: number): AttemptRecord {
  return {
    startedAt: new Date(now).toISOString(),
    durationMs: 3,
    ...(status === undefined ? { errorClass: "timeout" as const, errorMessage: "timed out" } : { status }),
  };
}

/** Claims with a generous max and lease, as one worker. */
export async function claimAll(
  store: SchedulerStore,
  now: number,
  options: { workerId?: string; max?: number; leaseMs?: number } = {},
): Promise<ClaimedDelivery[]> {
  const result = await store.claim({
    workerId: options.workerId ?? "w1",
    max: options.max ?? 100,
    leaseMs: options.leaseMs ?? 60_000,
    now,
  });
  return [...result.deliveries];
}

/**
 * Enqueues `count` messages to one endpoint, claims them and settles them all as `kind` at `now` (a dead one with
 * a 500 and a reason): records waiting in the outbox, for hand-off tests. Resolves with their delivery ids.
 */
export async function settleAll(
  store: SchedulerStore,
  endpointId: string,
  count: number,
  now: number,
  kind: "delivered" | "dead",
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpointId], now })).deliveryIds);
  }
  const claimed = await claimAll(store, now, { max: 1000 });
  await store.complete(
    "w1",
    claimed.map((d) =>
      kind === "delivered"
        ? { deliveryId: d.deliveryId, kind, attempt: attemptAt(now, 200) }
        : {
            deliveryId: d.deliveryId,
            kind,
            attempt: attemptAt(now, 500),
            reason: "retries exhausted after 1 attempts",
          },
    ),
    now,
  );
  return ids;
}

/** Polls `probe` until it returns true; for effects a store applies on its own clock (Redis PEXPIRE, PUBLISH). */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sortedIds(deliveries: readonly { deliveryId: string }[]): string[] {
  return deliveries.map((delivery) => delivery.deliveryId).sort();
}

/** Takes (and acknowledges) every record waiting in the store's outbox, in settle order. */
export async function takeAllSettled(store: SchedulerStore, now: number): Promise<SettledRecord[]> {
  const records: SettledRecord[] = [];
  for (;;) {
    const entries = await store.takeSettled({ consumer: "conformance", max: 100, reclaimAfterMs: 3_600_000, now });
    if (entries.length === 0) return records;
    await store.ackSettled(entries);
    records.push(...entries.map((entry) => entry.record));
  }
}
