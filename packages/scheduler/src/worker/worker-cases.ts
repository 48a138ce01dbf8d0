import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AttemptRecord, DEFAULT_RETRY_POLICY, type Endpoint } from "@hookyard/core";
import { createManualClock, type ManualClock } from "../clock.js";
import {
  eventually,
  type PolicyOverrides,
  takeAllSettled,
  testEndpoint,
  testEnvelope,
  uniqueId,
} from "../conformance/fixtures.js";
import type { OpenStore } from "../conformance/harness.js";
import type { CompletionResult, SchedulerStore, SettledRecord } from "../store.js";
import { createWorker, type Worker, type WorkerOptions } from "../worker.js";
import { createFakeSender, hang, outcomes, type Respond, type SentCall } from "./fake-sender.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

interface Scenario {
  readonly store: SchedulerStore;
  readonly clock: ManualClock;
  readonly worker: Worker;
  readonly calls: SentCall[];
  /** Endpoint ids by the test's labels. */
  readonly ep: Record<string, string>;
  enqueue(label: string, key?: string): Promise<string>;
  /** runOnce at `time` (store time). */
  runAt(time: number): ReturnType<Worker["runOnce"]>;
  /** A live delivery, or once settled its record from the store's outbox (taken and kept by the scenario). */
  delivery(id: string): Promise<DeliveryView | undefined>;
}

interface DeliveryView {
  readonly status: string;
  readonly attempts: number;
  readonly deadReason?: string;
  /** Settled ones: every attempt since it was queued. */
  readonly attemptLog?: readonly AttemptRecord[];
}

/** Runs worker tests against a store: a manual clock, a fake `send`, unique endpoints per test. */
export function describeWorkerCases(name: string, open: OpenStore): void {
  const t0 = Math.floor(Date.now() / 1000) * 1000;

  /**
   * A worker on the scenario's store, for its endpoint `a`, counting its claim and complete calls (and logging
   * them in order, with each complete's number of results).
   */
  function countingWorker(s: Scenario, options: Partial<WorkerOptions>) {
    const counts = { claims: 0, completes: 0 };
    const log: string[] = [];
    const worker = createWorker({
      store: wrapStore(s.store, {
        claim: (request) => {
          counts.claims += 1;
          log.push("claim");
          return s.store.claim(request);
        },
        complete: (workerId, results, now) => {
          counts.completes += 1;
          log.push(`complete ${results.length}`);
          return s.store.complete(workerId, results, now);
        },
      }),
      send: async (claimed) => outcomes.ok(t0 + claimed.attempt),
      endpoints: (id) => (id === s.ep.a ? testEndpoint(id) : undefined),
      clock: s.clock,
      ...options,
    });
    return { worker, counts, log };
  }

  async function withScenario(
    policies: Record<string, PolicyOverrides>,
    respond: Respond,
    body: (scenario: Scenario) => Promise<void>,
    workerOptions: Partial<WorkerOptions> = {},
  ): Promise<void> {
    const harness = await open({});
    const clock = createManualClock(t0);
    const ep: Record<string, string> = {};
    const configs = new Map<string, Endpoint>();
    for (const [label, policy] of Object.entries(policies)) {
      const endpoint = testEndpoint(uniqueId(`ep-${label}`), policy);
      ep[label] = endpoint.id;
      configs.set(endpoint.id, endpoint);
    }
    await harness.store.syncEndpoints([...configs.values()]);
    const { send, calls } = createFakeSender(clock, respond);
    const worker = createWorker({
      store: harness.store,
      send,
      endpoints: (id) => configs.get(id),
      clock,
      random: () => 0,
      flushLingerMs: 1,
      backoff: { minMs: 1, maxMs: 20 },
      ...workerOptions,
    });
    const settled = new Map<string, SettledRecord>();
    const scenario: Scenario = {
      store: harness.store,
      clock,
      worker,
      calls,
      ep,
      async enqueue(label, key) {
        const endpointId = ep[label] ?? "";
        const result = await harness.store.enqueue({
          envelope: testEnvelope(key),
          endpointIds: [endpointId],
          now: clock.now(),
        });
        return result.deliveryIds[0] ?? "";
      },
      runAt(time) {
        clock.set(time);
        return worker.runOnce();
      },
      async delivery(id) {
        const live = await harness.store.getDelivery(id);
        if (live !== undefined) return live;
        for (const record of await takeAllSettled(harness.store, clock.now())) settled.set(record.deliveryId, record);
        return settled.get(id);
      },
    };
    try {
      await body(scenario);
    } finally {
      await worker.stop({ graceMs: 0 });
      await harness.close();
    }
  }

  /** Runs cycles, moving the clock to each next due time, until nothing is left (or `limit` cycles). */
  async function drive(scenario: Scenario, limit = 50): Promise<void> {
    for (let i = 0; i < limit; i++) {
      const report = await scenario.worker.runOnce();
      if (report.claimed > 0) continue;
      if (report.nextDueAt === undefined) return;
      scenario.clock.set(Math.max(report.nextDueAt, scenario.clock.now()));
    }
  }

  describe(`worker: ${name}`, () => {
    it("follows the retry schedule for 5xx until the delivery is dead", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.status(call.at, 500),
        async (s) => {
          const id = await s.enqueue("a");
          await drive(s);
          const offsets = s.calls.map((call) => call.at - t0);
          let elapsed = 0;
          const expected = [
            0,
            5 * SECOND,
            5 * MINUTE,
            30 * MINUTE,
            2 * HOUR,
            5 * HOUR,
            10 * HOUR,
            14 * HOUR,
            20 * HOUR,
            24 * HOUR,
          ].map((delay) => {
            elapsed += delay;
            return elapsed;
          });
          assert.deepEqual(offsets, expected);
          assert.deepEqual(
            s.calls.map((call) => call.attempt),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
          );
          const info = await s.delivery(id);
          assert.equal(info?.status, "dead");
          assert.equal(info?.deadReason, "retries exhausted after 10 attempts");
        },
      ));

    it("waits at least the throttle delay after a timeout, and Retry-After after a 429 (capped)", () =>
      withScenario(
        { a: {} },
        (call) =>
          call.attempt === 1
            ? outcomes.timeout(call.at, MINUTE)
            : call.attempt === 2
              ? outcomes.throttled(call.at, 2 * HOUR)
              : call.attempt === 3
                ? outcomes.throttled(call.at, 48 * HOUR)
                : outcomes.ok(call.at),
        async (s) => {
          await s.enqueue("a");
          await drive(s);
          // Schedule after attempts 1, 2, 3: 5 s, 5 m, 30 m; asked: 1 m, 2 h, 48 h capped to 6 h.
          assert.deepEqual(
            s.calls.map((call) => call.at - t0),
            [0, MINUTE, MINUTE + 2 * HOUR, MINUTE + 8 * HOUR],
          );
        },
      ));

    it("treats 429 as backpressure: Retry-After holds the endpoint, no breaker failure, no retry spent", () =>
      withScenario(
        {
          a: {
            concurrency: 1,
            retry: { ...DEFAULT_RETRY_POLICY, scheduleMs: [0, 5 * SECOND] },
            breaker: { minRequests: 2, failureRate: 0.5 },
          },
        },
        (call) => (call.at < t0 + 2 * MINUTE ? outcomes.throttled(call.at, 30 * SECOND) : outcomes.ok(call.at)),
        async (s) => {
          const ids = [await s.enqueue("a"), await s.enqueue("a")];
          assert.equal((await s.runAt(t0)).claimed, 1);
          const state = await s.store.getEndpointState(s.ep.a ?? "", t0);
          assert.deepEqual([state.breaker, state.enabled, state.failingSince], ["closed", true, undefined]);
          assert.equal((await s.runAt(t0 + 29 * SECOND)).claimed, 0, "the whole endpoint waits for Retry-After");
          await drive(s);
          // One at a time, each 429 holding the endpoint for its Retry-After (30 s); delivered from 120 s on.
          assert.deepEqual(
            s.calls.map((call) => [call.deliveryId === ids[0] ? 1 : 2, (call.at - t0) / SECOND]),
            [
              [1, 0],
              [2, 30],
              [1, 60],
              [2, 90],
              [1, 120],
              [2, 120],
            ],
          );
          // Three attempts each although the schedule allows two: throttled ones are recorded, not spent.
          for (const id of ids) {
            const record = await s.delivery(id);
            assert.equal(record?.status, "delivered");
            assert.deepEqual(
              record?.attemptLog?.map((attempt) => attempt.status),
              [429, 429, 200],
            );
          }
          assert.equal((await s.store.getEndpointState(s.ep.a ?? "", s.clock.now())).breaker, "closed");
        },
      ));

    it("bounds a throttled delivery by the policy's maxAgeMs (dead with the reason)", () =>
      withScenario(
        { a: { retry: { ...DEFAULT_RETRY_POLICY, maxAgeMs: 2 * MINUTE } } },
        (call) => outcomes.throttled(call.at, MINUTE),
        async (s) => {
          const id = await s.enqueue("a");
          await drive(s);
          assert.deepEqual(
            s.calls.map((call) => (call.at - t0) / SECOND),
            [0, 60, 120],
          );
          const record = await s.delivery(id);
          assert.equal(record?.status, "dead");
          assert.equal(
            record?.deadReason,
            "max age exceeded: 120000 ms since queued, throttled by the endpoint (HTTP 429)",
          );
        },
      ));

    it("retries a 503 without Retry-After on the schedule's delay without spending the schedule", () =>
      withScenario(
        { a: { retry: { ...DEFAULT_RETRY_POLICY, scheduleMs: [0, 5 * SECOND] } } },
        (call) => (call.attempt <= 3 ? outcomes.status(call.at, 503) : outcomes.ok(call.at)),
        async (s) => {
          const id = await s.enqueue("a");
          await drive(s);
          assert.deepEqual(
            s.calls.map((call) => (call.at - t0) / SECOND),
            [0, 5, 10, 15],
          );
          assert.equal((await s.delivery(id))?.status, "delivered");
        },
      ));

    it("retries a 3xx like a failure instead of following it", () =>
      withScenario(
        { a: {} },
        (call) => (call.attempt === 1 ? outcomes.redirect(call.at) : outcomes.ok(call.at)),
        async (s) => {
          const id = await s.enqueue("a");
          await drive(s);
          assert.deepEqual(
            s.calls.map((call) => call.at - t0),
            [0, 5 * SECOND],
          );
          const record = await s.delivery(id);
          assert.equal(record?.status, "delivered");
          assert.deepEqual(
            record?.attemptLog?.map((attempt) => attempt.status),
            [302, 200],
          );
        },
      ));

    it("dead-letters a rejected delivery at once", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.rejected(call.at),
        async (s) => {
          const id = await s.enqueue("a");
          await drive(s);
          assert.equal(s.calls.length, 1);
          const info = await s.delivery(id);
          assert.equal(info?.status, "dead");
          assert.equal(info?.deadReason, "rejected: address 127.0.0.1 is not allowed");
        },
      ));

    it("410 disables the endpoint; its deliveries are sent after re-enabling", () => {
      let gone = true;
      return withScenario(
        { a: {} },
        (call) => (gone ? outcomes.gone(call.at) : outcomes.ok(call.at)),
        async (s) => {
          const first = await s.enqueue("a");
          const report = await s.runAt(t0);
          assert.equal(report.results[0]?.kind, "gone");
          const second = await s.enqueue("a");
          assert.equal((await s.runAt(t0 + HOUR)).claimed, 0);
          const state = await s.store.getEndpointState(s.ep.a ?? "", t0 + HOUR);
          assert.deepEqual([state.enabled, state.disabledReason, state.queued], [false, "410 Gone", 2]);
          gone = false;
          await s.store.setEndpointEnabled(s.ep.a ?? "", true, t0 + 2 * HOUR);
          await drive(s);
          for (const id of [first, second]) assert.equal((await s.delivery(id))?.status, "delivered");
          assert.deepEqual(s.calls.map((call) => call.attempt).sort(), [1, 1, 2]);
        },
      );
    });

    it("parks deliveries while the breaker is open, probes when half-open, and delivers them all after", () => {
      let healthyFrom = Number.POSITIVE_INFINITY;
      const breaker = { minRequests: 4, failureRate: 0.5, windowMs: MINUTE, cooldownMs: 30 * SECOND };
      return withScenario(
        { a: { breaker, concurrency: 5 } },
        (call) => (call.at >= healthyFrom ? outcomes.ok(call.at) : outcomes.status(call.at, 500)),
        async (s) => {
          const ids: string[] = [];
          for (let i = 0; i < 12; i++) ids.push(await s.enqueue("a"));
          assert.equal((await s.runAt(t0)).claimed, 5);
          const open = await s.store.getEndpointState(s.ep.a ?? "", t0);
          assert.deepEqual([open.breaker, open.openUntil], ["open", t0 + 30 * SECOND]);
          assert.equal((await s.runAt(t0 + 10 * SECOND)).claimed, 0, "parked while open");
          const probe = await s.runAt(t0 + 30 * SECOND);
          assert.equal(probe.claimed, 1, "one probe when half-open");
          assert.equal(
            (await s.store.getEndpointState(s.ep.a ?? "", t0 + 30 * SECOND)).breaker,
            "open",
            "probe failed",
          );
          healthyFrom = t0 + MINUTE;
          assert.equal((await s.runAt(t0 + MINUTE)).claimed, 1);
          assert.equal((await s.store.getEndpointState(s.ep.a ?? "", t0 + MINUTE)).breaker, "closed");
          await drive(s);
          for (const id of ids) assert.equal((await s.delivery(id))?.status, "delivered");
          assert.equal(s.calls.length, 5 + 1 + 12);
        },
      );
    });

    it("keeps an endpoint disabled for failing too long, and replays its deliveries after re-enabling", () => {
      let healthy = false;
      return withScenario(
        { a: { breaker: { disableAfterMs: 10 * MINUTE } } },
        (call) => (healthy ? outcomes.ok(call.at) : outcomes.status(call.at, 500)),
        async (s) => {
          const first = await s.enqueue("a");
          await drive(s); // attempts at 0, 5 s, 5 m 5 s, 35 m 5 s: disabled on the fourth
          const state = await s.store.getEndpointState(s.ep.a ?? "", s.clock.now());
          assert.deepEqual([state.enabled, state.disabledReason], [false, "failing for more than 600000 ms"]);
          assert.equal(s.calls.length, 4);
          const later = await s.enqueue("a");
          assert.equal((await s.runAt(s.clock.now() + 3 * HOUR)).claimed, 0);
          healthy = true;
          await s.store.setEndpointEnabled(s.ep.a ?? "", true, s.clock.now());
          await drive(s);
          for (const id of [first, later]) assert.equal((await s.delivery(id))?.status, "delivered");
        },
      );
    });

    it("keeps per-key order under retries", () => {
      let failing = "";
      return withScenario(
        { a: { orderedByKey: true } },
        (call) =>
          call.attempt === 1 && call.deliveryId === failing ? outcomes.status(call.at, 500) : outcomes.ok(call.at),
        async (s) => {
          const ids = [
            await s.enqueue("a", "order-1"),
            await s.enqueue("a", "order-1"),
            await s.enqueue("a", "order-1"),
          ];
          const other = await s.enqueue("a", "order-2");
          failing = ids[0] ?? "";
          await drive(s);
          const keyed = s.calls.filter((call) => call.deliveryId !== other).map((call) => call.deliveryId);
          assert.deepEqual(keyed, [ids[0], ids[0], ids[1], ids[2]]);
          // The other key did not wait for the retry.
          assert.equal(s.calls.find((call) => call.deliveryId === other)?.at, t0);
        },
      );
    });

    it("releases unsent work on stop, without counting an attempt", () =>
      withScenario(
        { a: {} },
        (call) => hang(call),
        async (s) => {
          const ids = [await s.enqueue("a"), await s.enqueue("a"), await s.enqueue("a")];
          s.worker.start();
          await eventually("three sends in flight", async () => s.calls.length === 3);
          await s.worker.stop({ graceMs: 20 });
          await s.worker.stop({ graceMs: 20 }); // idempotent
          assert.ok(s.calls.every((call) => call.signal.aborted));
          for (const id of ids) {
            const info = await s.delivery(id);
            assert.deepEqual([info?.status, info?.attempts], ["queued", 0]);
          }
        },
      ));

    it("waits for in-flight sends within the grace period on stop", () => {
      let finish: (() => void) | undefined;
      return withScenario(
        { a: {} },
        (call) =>
          new Promise((resolve) => {
            finish = () => resolve(outcomes.ok(call.at));
          }),
        async (s) => {
          const id = await s.enqueue("a");
          s.worker.start();
          await eventually("the send in flight", async () => s.calls.length === 1);
          const stopped = s.worker.stop({ graceMs: 5_000 });
          finish?.();
          await stopped;
          assert.equal((await s.delivery(id))?.status, "delivered");
        },
      );
    });

    it("isolates endpoints: one whose sends hang does not delay another", () => {
      let slowId = "";
      return withScenario(
        { slow: { concurrency: 5 }, fast: { concurrency: 5 } },
        (call) => (call.endpointId === slowId ? hang(call) : outcomes.ok(call.at)),
        async (s) => {
          slowId = s.ep.slow ?? "";
          for (let i = 0; i < 10; i++) await s.enqueue("slow");
          const fast: string[] = [];
          for (let i = 0; i < 30; i++) fast.push(await s.enqueue("fast"));
          s.worker.start();
          await eventually(
            "every fast delivery delivered",
            async () => {
              const infos = await Promise.all(fast.map((id) => s.delivery(id)));
              return infos.every((info) => info?.status === "delivered");
            },
            60_000,
          );
          // Half of the 8 slots at most (max-min fair share with the other endpoint), not its concurrency (5).
          assert.equal(s.calls.filter((call) => call.endpointId === slowId).length, 4);
          await s.worker.stop({ graceMs: 0 });
          assert.equal((await s.store.getEndpointState(slowId, s.clock.now())).queued, 10);
        },
        { maxInFlight: 8 },
      );
    });

    it("splits the slots max-min: hanging endpoints hold their share, a healthy one gets the rest", () => {
      const hanging = new Set<string>();
      return withScenario(
        { h1: {}, h2: {}, h3: {}, h4: {}, healthy: {} },
        (call) => (hanging.has(call.endpointId) ? hang(call) : outcomes.ok(call.at)),
        async (s) => {
          for (const label of ["h1", "h2", "h3", "h4"]) {
            hanging.add(s.ep[label] ?? "");
            for (let i = 0; i < 10; i++) await s.enqueue(label);
          }
          s.worker.start();
          // 12 slots, 4 endpoints with work: a fair share is 12 / 5 (one share kept for endpoints due later),
          // whatever their concurrency (10) and backlog.
          await eventually("the hanging endpoints' first sends", async () => s.calls.length >= 8);
          s.clock.advance(SECOND + 1); // their sends are now stuck past slowSendMs: they get no more
          const healthy: string[] = [];
          for (let i = 0; i < 30; i++) healthy.push(await s.enqueue("healthy"));
          await eventually(
            "every healthy delivery delivered",
            async () => {
              const infos = await Promise.all(healthy.map((id) => s.delivery(id)));
              return infos.every((info) => info?.status === "delivered");
            },
            60_000,
          );
          const perHanging = [...hanging].map((id) => s.calls.filter((call) => call.endpointId === id).length);
          assert.ok(
            perHanging.every((count) => count === 2),
            `each hanging endpoint holds its share: ${perHanging}`,
          );
          assert.equal(
            perHanging.reduce((sum, count) => sum + count, 0),
            s.worker.inFlight,
          );
        },
        { maxInFlight: 12, slowSendMs: SECOND },
      );
    });

    it("gives a slow endpoint fewer slots (AIMD) and the slots back once it is fast again", () => {
      let slowUntil = Number.POSITIVE_INFINITY;
      const pending: (() => void)[] = [];
      return withScenario(
        { a: { concurrency: 8 } },
        (call) =>
          call.at < slowUntil
            ? new Promise((resolve) => {
                // Answers 3 s (clock time) after it was sent, once the test moves the clock.
                pending.push(() => resolve(outcomes.ok(call.at + 3 * SECOND)));
              })
            : outcomes.ok(call.at),
        async (s) => {
          for (let i = 0; i < 40; i++) await s.enqueue("a");
          const sizes: number[] = [];
          const round = async () => {
            const run = s.worker.runOnce();
            await eventually("the round's sends started", async () => pending.length > 0);
            s.clock.advance(3 * SECOND);
            for (const answer of pending.splice(0)) answer();
            sizes.push((await run).claimed);
          };
          for (let i = 0; i < 4; i++) await round();
          slowUntil = s.clock.now();
          for (let i = 0; i < 3; i++) sizes.push((await s.worker.runOnce()).claimed);
          // 8, then halved on each slow round (4, 2, 1); fast again: +1 per prompt answer (1 → 2 → 4).
          assert.deepEqual(sizes, [8, 4, 2, 1, 1, 2, 4]);
        },
        { slowSendMs: 2 * SECOND },
      );
    });

    it("keeps at most maxInFlight sends at once over all endpoints", () =>
      withScenario(
        { a: {}, b: {}, c: {}, d: {}, e: {}, f: {} },
        (call) => hang(call),
        async (s) => {
          // Six endpoints with work for five slots: one each (their fair share) fills the budget.
          for (const label of ["a", "b", "c", "d", "e", "f"]) for (let i = 0; i < 4; i++) await s.enqueue(label);
          s.worker.start();
          await eventually("the in-flight cap reached", async () => s.calls.length === 5);
          // Idle-loop wake-ups (enqueue) must not push past the cap.
          await s.enqueue("a");
          await new Promise((resolve) => setImmediate(resolve));
          assert.equal(s.worker.inFlight, 5);
          assert.equal(s.calls.length, 5);
        },
        { maxInFlight: 5 },
      ));

    it("idles without a tight loop and wakes on enqueue or after maxIdleMs", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          const { worker, counts } = countingWorker(s, { maxIdleMs: 1000 });
          worker.start();
          try {
            await eventually("the first claim", async () => counts.claims === 1);
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(counts.claims, 1, "an idle worker waits on the clock");
            const id = await s.enqueue("a");
            await eventually(
              "the delivery sent after the wake-up",
              async () => (await s.delivery(id))?.status === "delivered",
            );
            const before = counts.claims;
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.ok(counts.claims - before <= 2, "no spinning after the work is done");
            s.clock.advance(1000);
            await eventually("a claim after maxIdleMs", async () => counts.claims > before);
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("claims once per wake-up at a quiet rate: a stored result with nothing waiting triggers no claim", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          const { worker, counts } = countingWorker(s, { maxIdleMs: 60_000, flushLingerMs: 1 });
          worker.start();
          try {
            await eventually("the first claim", async () => counts.claims === 1);
            for (let round = 1; round <= 3; round++) {
              const id = await s.enqueue("a");
              await eventually("the delivery stored", async () => (await s.delivery(id))?.status === "delivered");
              await eventually("its result stored", async () => counts.completes === round);
            }
            // One more turn of the event loop for a claim the last flush would have started.
            await new Promise((resolve) => setImmediate(resolve));
            assert.equal(counts.claims, 4, "the idle claim, then one per enqueue wake-up (none after each complete)");
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("claims nothing for a 429 until its Retry-After: the wake-up names the due time", () =>
      withScenario(
        { a: {}, b: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          let sends = 0;
          const known = (id: string) => (id === s.ep.a || id === s.ep.b ? testEndpoint(id) : undefined);
          const { worker, counts, log } = countingWorker(s, {
            maxIdleMs: 60_000,
            flushLingerMs: 1,
            endpoints: known,
            send: async (claimed) => {
              sends += 1;
              return sends === 1 ? outcomes.throttled(t0, 30 * SECOND) : outcomes.ok(t0 + claimed.attempt);
            },
          });
          worker.start();
          try {
            await eventually("the first claim", async () => counts.claims === 1);
            const throttled = await s.enqueue("a");
            await eventually("the 429 stored", async () => (await s.delivery(throttled))?.status === "queued");
            // The store's wake-ups arrive in order: once the one after b's enqueue was served, the 429's came
            // and went. It named t0 + 30 s, so it started no claim: b's is the only one.
            const other = await s.enqueue("b");
            await eventually("b delivered", async () => (await s.delivery(other))?.status === "delivered");
            await eventually("b's result stored", async () => counts.completes === 2);
            await new Promise((resolve) => setImmediate(resolve));
            assert.deepEqual(log, ["claim", "claim", "complete 1", "claim", "complete 1"]);
            // The wait ends at the Retry-After, not at maxIdleMs: the clock reaching it brings the delivery back.
            s.clock.advance(30 * SECOND);
            await eventually("the throttled delivery sent again", async () => sends === 3);
            assert.equal(counts.claims, 4);
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("sends a result nothing waits for with the next claim, applied before it", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          let sent = 0;
          // The linger outlasts the test: only the next claim can take the first result along.
          const { worker, counts, log } = countingWorker(s, {
            maxIdleMs: 60_000,
            flushLingerMs: 60_000,
            send: async (claimed) => {
              sent += 1;
              return outcomes.ok(t0 + claimed.attempt);
            },
          });
          worker.start();
          try {
            await eventually("the first claim", async () => counts.claims === 1);
            const first = await s.enqueue("a");
            await eventually("the first delivery sent", async () => sent === 1);
            await new Promise((resolve) => setImmediate(resolve));
            assert.deepEqual(log, ["claim", "claim"], "its result waits for company");
            const second = await s.enqueue("a");
            await eventually("the second delivery sent", async () => sent === 2);
            assert.deepEqual(log, ["claim", "claim", "complete 1", "claim"], "the result went just before the claim");
            assert.equal((await s.delivery(first))?.status, "delivered");
            assert.equal((await s.delivery(second))?.status, "leased", "the last result still waits");
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("stores at once a result something waits for (a retry), without waiting for a claim", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          const { worker, counts, log } = countingWorker(s, {
            maxIdleMs: 60_000,
            flushLingerMs: 60_000,
            send: async (claimed) => outcomes.status(t0 + claimed.attempt, 500),
          });
          worker.start();
          try {
            await eventually("the first claim", async () => counts.claims === 1);
            const id = await s.enqueue("a");
            await eventually("the retry stored", async () => {
              const view = await s.delivery(id);
              return view?.status === "queued" && view.attempts === 1;
            });
            assert.deepEqual(log.slice(0, 3), ["claim", "claim", "complete 1"]);
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("claims again when a stored result frees an endpoint's concurrency cap (no idle wait)", () =>
      withScenario(
        { a: { concurrency: 1 } },
        (call) => outcomes.ok(call.at),
        async (s) => {
          const ids = [await s.enqueue("a"), await s.enqueue("a"), await s.enqueue("a")];
          const worker = createWorker({
            store: s.store,
            send: async (claimed) => outcomes.ok(t0 + claimed.attempt),
            endpoints: (id) => (id === s.ep.a ? testEndpoint(id, { concurrency: 1 }) : undefined),
            clock: s.clock,
            maxIdleMs: 60_000,
            // Neither may the results' linger: a result at the endpoint's cap is stored at once.
            flushLingerMs: 60_000,
          });
          worker.start();
          try {
            // The manual clock never moves: only wake-ups (not the 60 s idle wait) can get the later two out.
            for (const id of ids) {
              await eventually("each delivered in turn", async () => (await s.delivery(id))?.status === "delivered");
            }
          } finally {
            await worker.stop({ graceMs: 0 });
          }
        },
      ));

    it("extends the leases of long sends", () => {
      let finish: (() => void) | undefined;
      return withScenario(
        { a: {} },
        (call) =>
          new Promise((resolve) => {
            finish = () => resolve(outcomes.ok(call.at));
          }),
        async (s) => {
          const id = await s.enqueue("a");
          s.worker.start();
          await eventually("the send in flight", async () => s.calls.length === 1);
          for (let i = 0; i < 6; i++) {
            s.clock.advance(1000); // extensions at each third of the 3 s lease
            await new Promise((resolve) => setImmediate(resolve));
          }
          const other = await s.store.claim({ workerId: "thief", max: 10, leaseMs: 1000, now: s.clock.now() });
          assert.deepEqual(other.deliveries, [], "the lease was extended");
          assert.equal(s.calls.length, 1, "never re-claimed by its own worker either");
          assert.equal((await s.delivery(id))?.attempts, 1);
          finish?.();
          await eventually("the delivery settled", async () => (await s.delivery(id))?.status === "delivered");
        },
        { leaseMs: 3000 },
      );
    });

    it("reports a result whose lease was taken over as stale, keeping its attempt", () => {
      let finish: (() => void) | undefined;
      const stale: CompletionResult[] = [];
      return withScenario(
        { a: {} },
        (call) =>
          new Promise((resolve) => {
            finish = () => resolve(outcomes.ok(call.at));
          }),
        async (s) => {
          const id = await s.enqueue("a");
          s.worker.start();
          await eventually("the send in flight", async () => s.calls.length === 1);
          // The worker's lease lapses (its extensions never reached the store, say) and another worker takes over.
          const other = await s.store.claim({ workerId: "other", max: 10, leaseMs: MINUTE, now: t0 + 10 * SECOND });
          assert.equal(other.deliveries.length, 1);
          finish?.();
          await eventually("the stale result reported", async () => stale.length === 1);
          assert.deepEqual(
            stale.map((result) => [result.deliveryId, result.kind]),
            [[id, "delivered"]],
          );
          assert.deepEqual([(await s.delivery(id))?.status, (await s.delivery(id))?.attempts], ["leased", 2]);
          assert.deepEqual(
            (await s.store.listAttempts(id)).map((attempt) => attempt.stale),
            [true],
            "the fenced-off attempt is kept",
          );
        },
        { leaseMs: 3000, observer: { onStaleCompletion: (result) => stale.push(result) } },
      );
    });

    it("settles results in batches", () =>
      withScenario(
        { a: { concurrency: 100 } },
        (call) => outcomes.ok(call.at),
        async (s) => {
          const batches: number[] = [];
          const worker = createWorker({
            store: wrapStore(s.store, {
              complete: (workerId, results, now) => {
                batches.push(results.length);
                return s.store.complete(workerId, results, now);
              },
            }),
            send: async (claimed) => outcomes.ok(t0 + claimed.attempt),
            endpoints: (id) => (id === s.ep.a ? testEndpoint(id, { concurrency: 100 }) : undefined),
            clock: s.clock,
            // One claim leaves one fair share (here half) of the budget for endpoints due later: 80 takes 40.
            maxInFlight: 80,
          });
          for (let i = 0; i < 40; i++) await s.enqueue("a");
          const report = await worker.runOnce();
          assert.equal(report.claimed, 40);
          assert.equal(report.results.length, 40);
          assert.deepEqual(batches, [40]);
          assert.equal((await s.store.getEndpointState(s.ep.a ?? "", t0)).queued, 0);
          for (let i = 0; i < 200; i++) await s.enqueue("a");
          worker.start();
          try {
            await eventually("all delivered", async () => batches.reduce((sum, size) => sum + size, 0) === 240);
          } finally {
            await worker.stop({ graceMs: 0 });
          }
          assert.ok(batches.length < 40, `200 results in ${batches.length - 1} calls`);
        },
      ));

    it("survives store errors with backoff and loses no leased work", () =>
      withScenario(
        { a: {} },
        (call) => outcomes.ok(call.at),
        async (s) => {
          let failuresLeft = 3;
          let completeFailures = 2;
          const warnings: string[] = [];
          const flaky = wrapStore(s.store, {
            claim: (request) => {
              if (failuresLeft > 0) {
                failuresLeft -= 1;
                return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
              }
              return s.store.claim(request);
            },
            complete: (workerId, results, now) => {
              if (completeFailures > 0) {
                completeFailures -= 1;
                return Promise.reject(new Error("connection lost"));
              }
              return s.store.complete(workerId, results, now);
            },
          });
          const log = (_details: object, message: string) => warnings.push(message);
          const worker = createWorker({
            store: flaky,
            send: async (claimed) => outcomes.ok(t0 + claimed.attempt),
            endpoints: (id) => (id === s.ep.a ? testEndpoint(id) : undefined),
            clock: s.clock,
            backoff: { minMs: 1, maxMs: 10 },
            logger: { debug: () => {}, info: () => {}, warn: log, error: log },
          });
          const id = await s.enqueue("a");
          worker.start();
          try {
            await eventually("the delivery delivered", async () => (await s.delivery(id))?.status === "delivered");
          } finally {
            await worker.stop({ graceMs: 0 });
          }
          assert.equal(warnings.filter((message) => message === "scheduler claim failed").length, 3);
          assert.equal(warnings.filter((message) => message === "scheduler complete failed").length, 2);
        },
      ));
  });
}

/** The store with some methods replaced (fault injection, counting); everything else goes to `store`. */
function wrapStore(store: SchedulerStore, overrides: Partial<SchedulerStore>): SchedulerStore {
  return {
    durable: store.durable,
    syncEndpoints: (endpoints) => store.syncEndpoints(endpoints),
    enqueue: (request) => store.enqueue(request),
    claim: (request) => store.claim(request),
    complete: (workerId, results, now) => store.complete(workerId, results, now),
    extendLeases: (workerId, ids, leaseMs, now) => store.extendLeases(workerId, ids, leaseMs, now),
    getDelivery: (id) => store.getDelivery(id),
    listAttempts: (id) => store.listAttempts(id),
    requeue: (deliveries, now) => store.requeue(deliveries, now),
    setEndpointEnabled: (endpointId, enabled, now) => store.setEndpointEnabled(endpointId, enabled, now),
    getEndpointState: (endpointId, now) => store.getEndpointState(endpointId, now),
    stats: () => store.stats(),
    keepRejected: (message) => store.keepRejected(message),
    listRejected: (origin, limit) => store.listRejected(origin, limit),
    takeSettled: (request) => store.takeSettled(request),
    ackSettled: (entries) => store.ackSettled(entries),
    findSettled: (id) => store.findSettled(id),
    outboxStats: () => store.outboxStats(),
    onSettled: (listener) => store.onSettled(listener),
    onEvent: (listener) => store.onEvent(listener),
    onWake: (listener) => store.onWake(listener),
    close: () => store.close(),
    ...overrides,
  };
}
