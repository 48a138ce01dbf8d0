import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchedulerStore } from "../store.js";
import type { PolicyOverrides } from "./fixtures.js";
import { attemptAt, claimAll, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

async function setUp(store: SchedulerStore, overrides: PolicyOverrides, count: number, now: number) {
  const ep = uniqueId("ep");
  await store.syncEndpoints([testEndpoint(ep, overrides)]);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now })).deliveryIds);
  }
  return { ep, ids };
}

/** Claims the one queued delivery and fails it with a retry due at `now`. */
async function failOnce(store: SchedulerStore, now: number): Promise<string> {
  const [claimed] = await claimAll(store, now);
  assert.ok(claimed, "a delivery to fail");
  await store.complete(
    "w1",
    [{ deliveryId: claimed.deliveryId, kind: "retry", attempt: attemptAt(now, 500), dueAt: now }],
    now,
  );
  return claimed.deliveryId;
}

const BREAKER = { windowMs: 10_000, minRequests: 4, failureRate: 0.5, cooldownMs: 5_000, disableAfterMs: 0 };

/**
 * Opens the breaker at t0+1 (2 successes then 2 failures); returns the endpoint, all delivery ids and the ids of
 * the deliveries leased besides those four (`leased` - 4 of them, still in flight).
 */
async function openBreaker(store: SchedulerStore, t0: number, leased = 4) {
  const { ep, ids } = await setUp(store, { breaker: BREAKER }, 10, t0);
  const claimed = await claimAll(store, t0, { max: leased });
  assert.equal(claimed.length, leased);
  const [s1, s2, f1, f2, ...inFlight] = claimed.map((d) => d.deliveryId);
  await store.complete(
    "w1",
    [
      { deliveryId: s1 ?? "", kind: "delivered", attempt: attemptAt(t0 + 1, 200) },
      { deliveryId: s2 ?? "", kind: "delivered", attempt: attemptAt(t0 + 1, 200) },
      { deliveryId: f1 ?? "", kind: "retry", attempt: attemptAt(t0 + 1, 500), dueAt: t0 + 2 },
      { deliveryId: f2 ?? "", kind: "retry", attempt: attemptAt(t0 + 1, 500), dueAt: t0 + 2 },
    ],
    t0 + 1,
  );
  return { ep, ids, inFlight };
}

/** Semantics 6–8: applying results, the breaker, failingSince and disabling. */
export function describeOutcomeCases(withStore: WithStore, t0: number): void {
  describe("6. results applied as the worker decided", () => {
    it("reschedules a retry at its dueAt and records the attempt", () =>
      withStore(async (store) => {
        const { ids } = await setUp(store, {}, 1, t0);
        const id = ids[0] ?? "";
        await claimAll(store, t0);
        await store.complete(
          "w1",
          [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0, 503), dueAt: t0 + 5000 }],
          t0,
        );
        const info = await store.getDelivery(id);
        assert.equal(info?.status, "queued");
        assert.equal(info?.dueAt, t0 + 5000);
        assert.equal(info?.attempts, 1);
        assert.deepEqual(await claimAll(store, t0 + 4999), []);
        const [again] = await claimAll(store, t0 + 5000);
        assert.equal(again?.attempt, 2);
        await store.complete(
          "w1",
          [{ deliveryId: id, kind: "delivered", attempt: attemptAt(t0 + 5000, 204) }],
          t0 + 5001,
        );
        // Settled: it left the store, its record (both attempts, oldest first) is in the outbox.
        assert.equal(await store.getDelivery(id), undefined);
        assert.deepEqual(await store.listAttempts(id), []);
        const [record] = (await takeAllSettled(store, t0 + 5001)).filter((r) => r.deliveryId === id);
        assert.deepEqual(
          [record?.status, record?.attempts, record?.attemptLog.map((attempt) => attempt.status)],
          ["delivered", 2, [503, 204]],
        );
      }));

    it("dead-letters with the reason and attempts, and counts per endpoint", () =>
      withStore(async (store) => {
        const { ep } = await setUp(store, {}, 3, t0);
        const claimed = await claimAll(store, t0, { max: 2 });
        assert.equal(claimed.length, 2);
        const deadId = claimed[0]?.deliveryId;
        const reason = "retries exhausted after 1 attempts";
        await store.complete(
          "w1",
          [{ deliveryId: deadId ?? "", kind: "dead", attempt: attemptAt(t0, 500), reason }],
          t0 + 1,
        );
        assert.equal(await store.getDelivery(deadId ?? ""), undefined);
        // Counted as waiting for the history store until its record is handed off.
        const state = await store.getEndpointState(ep, t0 + 1);
        assert.deepEqual([state.queued, state.inFlight, state.dead], [1, 1, 1]);
        const stats = (await store.stats()).endpoints.find((e) => e.endpointId === ep);
        assert.deepEqual([stats?.queued, stats?.inFlight, stats?.dead], [1, 1, 1]);
        const letters = await takeAllSettled(store, t0 + 2);
        assert.equal(letters.length, 1);
        assert.deepEqual(
          [letters[0]?.deliveryId, letters[0]?.status, letters[0]?.deadReason, letters[0]?.attempts],
          [deadId, "dead", reason, 1],
        );
        assert.equal((await store.getEndpointState(ep, t0 + 2)).dead, 0);
      }));

    it("counts no attempt for a lease dead-lettered without one (its envelope was lost)", () =>
      withStore(async (store) => {
        const { ids } = await setUp(store, {}, 1, t0);
        const id = ids[0] ?? "";
        await failOnce(store, t0); // one real attempt first
        const [again] = await claimAll(store, t0);
        assert.equal(again?.attempt, 2);
        const events: number[] = [];
        const unsubscribe = store.onEvent((event) => {
          if (event.kind === "delivery.dead") events.push(event.attempts);
        });
        await store.complete("w1", [{ deliveryId: id, kind: "dead", reason: "envelope missing" }], t0 + 1);
        unsubscribe();
        assert.deepEqual(events, [1], "the operator event counts the attempts made");
        const [record] = await takeAllSettled(store, t0 + 2);
        assert.deepEqual([record?.status, record?.attempts, record?.attemptLog.length], ["dead", 1, 1]);
      }));
  });

  describe("6b. throttled (429/503 backpressure)", () => {
    it("holds the endpoint until dueAt, logs and counts the attempt, counts it as throttled, not as a failure", () =>
      withStore(async (store) => {
        const { ep, ids } = await setUp(store, { breaker: { ...BREAKER, minRequests: 1 } }, 2, t0);
        const [first] = await claimAll(store, t0, { max: 1 });
        assert.ok(first);
        await store.complete(
          "w1",
          [{ deliveryId: first.deliveryId, kind: "throttled", attempt: attemptAt(t0, 429), dueAt: t0 + 30_000 }],
          t0,
        );
        const state = await store.getEndpointState(ep, t0 + 1);
        assert.deepEqual([state.breaker, state.failingSince, state.queued], ["closed", undefined, 2]);
        const held = await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 29_999 });
        assert.deepEqual([held.deliveries.length, held.nextDueAt], [0, t0 + 30_000]);
        const again = await claimAll(store, t0 + 30_000);
        assert.deepEqual(
          again.map((d) => [d.deliveryId, d.attempt, d.throttled ?? 0]).sort(),
          [
            [first.deliveryId, 2, 1],
            [ids.find((id) => id !== first.deliveryId), 1, 0],
          ].sort(),
        );
        assert.deepEqual(
          (await store.listAttempts(first.deliveryId)).map((a) => a.status),
          [429],
        );
      }));
  });

  describe("7. circuit breaker", () => {
    it("opens at the failure rate and parks deliveries without counting attempts", () =>
      withStore(async (store) => {
        const { ep, ids } = await openBreaker(store, t0);
        const state = await store.getEndpointState(ep, t0 + 10);
        assert.equal(state.breaker, "open");
        assert.equal(state.openUntil, t0 + 5001);
        const parked = await store.claim({ workerId: "w1", max: 10, leaseMs: 60_000, now: t0 + 10 });
        assert.deepEqual(parked.deliveries, []);
        if (parked.nextDueAt !== undefined) assert.ok(parked.nextDueAt <= t0 + 5001);
        const fresh = await store.getDelivery(ids[9] ?? "");
        assert.deepEqual([fresh?.status, fresh?.attempts], ["queued", 0]);
      }));

    it("lets one probe through when half-open; a delivered probe closes it and the parked work flows", () =>
      withStore(async (store) => {
        const { ep, ids } = await openBreaker(store, t0);
        const probe = await claimAll(store, t0 + 5001);
        assert.equal(probe.length, 1);
        assert.equal((await store.getEndpointState(ep, t0 + 5001)).breaker, "half-open");
        assert.deepEqual(await claimAll(store, t0 + 5001), []);
        await store.complete(
          "w1",
          [{ deliveryId: probe[0]?.deliveryId ?? "", kind: "delivered", attempt: attemptAt(t0 + 5002, 200) }],
          t0 + 5002,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 5002)).breaker, "closed");
        const rest = await claimAll(store, t0 + 5003);
        assert.equal(rest.length, 7);
        await store.complete(
          "w1",
          rest.map((d) => ({
            deliveryId: d.deliveryId,
            kind: "delivered" as const,
            attempt: attemptAt(t0 + 5004, 200),
          })),
          t0 + 5004,
        );
        const settled = await takeAllSettled(store, t0 + 5005);
        assert.deepEqual(settled.map((r) => r.deliveryId).sort(), [...ids].sort());
        assert.ok(settled.every((r) => r.status === "delivered"));
      }));

    it("half-open with older deliveries in flight: the probe waits for them, and only its result decides", () =>
      withStore(async (store) => {
        const { ep, inFlight } = await openBreaker(store, t0, 6);
        const [late1, late2] = inFlight;
        assert.equal((await store.getEndpointState(ep, t0 + 1)).breaker, "open");
        // Cooldown over, two deliveries leased before it opened still in flight: half-open, no probe yet.
        assert.deepEqual(await claimAll(store, t0 + 5001), []);
        const halfOpen = await store.getEndpointState(ep, t0 + 5001);
        assert.deepEqual([halfOpen.breaker, halfOpen.inFlight], ["half-open", 2]);
        // A straggler's success does not close it, nor does a straggler's failure re-open it.
        await store.complete(
          "w1",
          [{ deliveryId: late1 ?? "", kind: "delivered", attempt: attemptAt(t0 + 5002, 200) }],
          t0 + 5002,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 5002)).breaker, "half-open");
        assert.deepEqual(await claimAll(store, t0 + 5002), [], "one straggler still in flight");
        await store.complete(
          "w1",
          [{ deliveryId: late2 ?? "", kind: "retry", attempt: attemptAt(t0 + 5003, 500), dueAt: t0 + 5003 }],
          t0 + 5003,
        );
        const after = await store.getEndpointState(ep, t0 + 5003);
        assert.deepEqual([after.breaker, after.openUntil], ["half-open", t0 + 5001]);
        // Nothing else in flight: exactly one probe, and its result decides.
        const probe = await claimAll(store, t0 + 5004);
        assert.equal(probe.length, 1);
        assert.deepEqual(await claimAll(store, t0 + 5004), []);
        await store.complete(
          "w1",
          [{ deliveryId: probe[0]?.deliveryId ?? "", kind: "delivered", attempt: attemptAt(t0 + 5005, 200) }],
          t0 + 5005,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 5005)).breaker, "closed");
        assert.equal((await claimAll(store, t0 + 5006)).length, 6);
      }));

    it("re-opens for cooldownMs when the probe fails", () =>
      withStore(async (store) => {
        const { ep } = await openBreaker(store, t0);
        const [probe] = await claimAll(store, t0 + 6000);
        await store.complete(
          "w1",
          [{ deliveryId: probe?.deliveryId ?? "", kind: "retry", attempt: attemptAt(t0 + 6000), dueAt: t0 + 6001 }],
          t0 + 6001,
        );
        const state = await store.getEndpointState(ep, t0 + 6002);
        assert.equal(state.breaker, "open");
        assert.equal(state.openUntil, t0 + 11_001);
        assert.deepEqual(await claimAll(store, t0 + 11_000), []);
        assert.equal((await claimAll(store, t0 + 11_001)).length, 1);
      }));

    it("never counts releases", () =>
      withStore(async (store) => {
        const { ep, ids } = await setUp(store, { breaker: { minRequests: 1, failureRate: 0.5 } }, 1, t0);
        await claimAll(store, t0);
        await store.complete("w1", [{ deliveryId: ids[0] ?? "", kind: "release", dueAt: t0 + 1 }], t0 + 1);
        const state = await store.getEndpointState(ep, t0 + 1);
        assert.equal(state.breaker, "closed");
        assert.equal(state.failingSince, undefined);
        assert.equal((await claimAll(store, t0 + 1)).length, 1);
      }));

    it("forgets failures older than the window", () =>
      withStore(async (store) => {
        const breaker = { windowMs: 1000, minRequests: 2, failureRate: 1, cooldownMs: 5000 };
        const { ep } = await setUp(store, { breaker }, 1, t0);
        await failOnce(store, t0);
        await failOnce(store, t0 + 1500);
        assert.equal((await store.getEndpointState(ep, t0 + 1500)).breaker, "closed");
        await failOnce(store, t0 + 1501);
        assert.equal((await store.getEndpointState(ep, t0 + 1501)).breaker, "open");
      }));
  });

  describe("8. failingSince and disabling", () => {
    it("tracks failingSince, and disables an endpoint failing for disableAfterMs", () =>
      withStore(async (store) => {
        const { ep, ids } = await setUp(store, { breaker: { disableAfterMs: 10_000 } }, 2, t0);
        const [claimedFirst] = await claimAll(store, t0, { max: 1 });
        await store.complete(
          "w1",
          [{ deliveryId: claimedFirst?.deliveryId ?? "", kind: "retry", attempt: attemptAt(t0), dueAt: t0 + 60_000 }],
          t0,
        );
        assert.equal((await store.getEndpointState(ep, t0)).failingSince, t0);
        const [other] = await claimAll(store, t0 + 1000);
        await store.complete(
          "w1",
          [{ deliveryId: other?.deliveryId ?? "", kind: "delivered", attempt: attemptAt(t0 + 1000, 200) }],
          t0 + 1000,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 1000)).failingSince, undefined);

        const retried = await claimAll(store, t0 + 60_000);
        assert.equal(retried.length, 1);
        const id = retried[0]?.deliveryId ?? "";
        await store.complete(
          "w1",
          [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0), dueAt: t0 + 60_000 }],
          t0 + 60_000,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 60_000)).failingSince, t0 + 60_000);
        await claimAll(store, t0 + 60_000);
        await store.complete(
          "w1",
          [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0), dueAt: t0 + 65_000 }],
          t0 + 65_000,
        );
        assert.equal((await store.getEndpointState(ep, t0 + 65_000)).enabled, true);
        await claimAll(store, t0 + 65_000);
        await store.complete(
          "w1",
          [{ deliveryId: id, kind: "retry", attempt: attemptAt(t0), dueAt: t0 + 999_000 }],
          t0 + 70_000,
        );
        const disabled = await store.getEndpointState(ep, t0 + 70_000);
        assert.equal(disabled.enabled, false);
        assert.equal(disabled.disabledReason, "failing for more than 10000 ms");
        assert.equal(disabled.queued, 1);

        await store.setEndpointEnabled(ep, true, t0 + 70_001);
        const enabled = await store.getEndpointState(ep, t0 + 70_001);
        assert.equal(enabled.enabled, true);
        assert.equal(enabled.disabledReason, undefined);
        assert.equal(enabled.failingSince, undefined);
        assert.equal(enabled.breaker, "closed");
        // Enabling makes parked deliveries due now, even one whose retry was far away.
        const replayed = await claimAll(store, t0 + 70_001);
        assert.deepEqual(
          replayed.map((d) => [d.deliveryId, d.attempt]),
          [[id, 5]],
        );
        assert.ok(ids.includes(id));
      }));

    it("410 Gone disables the endpoint and parks the delivery with its attempt counted", () =>
      withStore(async (store) => {
        const { ep, ids } = await setUp(store, {}, 2, t0);
        const [gone] = await claimAll(store, t0, { max: 1 });
        const id = gone?.deliveryId ?? "";
        await store.complete("w1", [{ deliveryId: id, kind: "gone", attempt: attemptAt(t0, 410) }], t0 + 1);
        const state = await store.getEndpointState(ep, t0 + 1);
        assert.equal(state.enabled, false);
        assert.equal(state.disabledReason, "410 Gone");
        assert.equal(state.queued, 2);
        const info = await store.getDelivery(id);
        assert.deepEqual([info?.status, info?.attempts], ["queued", 1]);
        assert.equal((await store.listAttempts(id)).length, 1);
        assert.deepEqual(await claimAll(store, t0 + 2), []);
        await store.setEndpointEnabled(ep, true, t0 + 3);
        const claimed = await claimAll(store, t0 + 3);
        assert.deepEqual(
          claimed.map((d) => [d.deliveryId, d.attempt]).sort(),
          [
            [id, 2],
            [ids.find((other) => other !== id), 1],
          ].sort(),
        );
      }));
  });
}
