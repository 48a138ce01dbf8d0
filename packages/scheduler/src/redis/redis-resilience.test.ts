import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AttemptRecord, HookyardError } from "@hookyard/core";
import { startPrivateRedis, uniqueName, usePrivateRedis, waitFor } from "@hookyard/test-brokers";
import type { Redis } from "ioredis";
import { attemptAt, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore, ENVELOPE_AHEAD_MIN_BYTES, type RedisSchedulerStore } from "./redis-store.js";

// These tests own their redis-server (started from the test on a free port): they read exact command statistics,
// flush scripts, restart or reconfigure it, which must not disturb the shared brokers other suites use.

async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const info = await client.info("commandstats");
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== undefined && match[2] !== undefined) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** Commands the server ran between two snapshots, leaving out the measuring itself (INFO, CONFIG). */
function callsBetween(before: Map<string, number>, now: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, calls] of now) {
    if (name === "info" || name === "config") continue;
    const diff = calls - (before.get(name) ?? 0);
    if (diff > 0) delta[name] = diff;
  }
  return delta;
}

function total(delta: Record<string, number>): number {
  return Object.values(delta).reduce((sum, calls) => sum + calls, 0);
}

function isUnavailable(error: unknown): boolean {
  return error instanceof HookyardError && error.code === "REDIS_UNAVAILABLE" && error.retryable;
}

/**
 * Failing fast, shown by cause rather than by a stopwatch: the call failed on the lost connection (refused by the
 * store's readiness check, or its command failed with the socket), not after waiting out a command timeout.
 */
function isRefusedUpFront(error: unknown): boolean {
  return isUnavailable(error) && !/timed out/i.test(String(error));
}

describe("redis store on its own redis-server", () => {
  const own = usePrivateRedis();

  function open(): RedisSchedulerStore {
    return createRedisStore({ redis: own.server.url, prefix: uniqueName("hyt") });
  }

  /**
   * Enqueues `deliveries` one-endpoint messages round-robin over `endpointCount` endpoints, then claims (`claimMax`
   * per call, as the worker does) and completes them (`completeBatch` per call); returns commands per delivery.
   */
  async function measure(endpointCount: number, deliveries: number, claimMax: number, completeBatch: number) {
    const store = open();
    try {
      const eps = Array.from({ length: endpointCount }, () => uniqueId("ep"));
      await store.syncEndpoints(eps.map((id) => testEndpoint(id, { concurrency: 1000 })));
      const t0 = 1_000_000;
      await store.claim({ workerId: "w", max: 1, leaseMs: 1000, now: t0 - 1 }); // scripts loaded before measuring
      const atStart = await commandCalls(own.admin);
      await Promise.all(
        Array.from({ length: deliveries }, (_, i) =>
          store.enqueue({ envelope: testEnvelope(), endpointIds: [eps[i % endpointCount] ?? ""], now: t0 }),
        ),
      );
      const afterEnqueue = await commandCalls(own.admin);
      let settled = 0;
      let roundTrips = 0;
      let pending: { deliveryId: string; kind: "delivered"; attempt: AttemptRecord }[] = [];
      for (let now = t0 + 1; settled < deliveries; now++) {
        const { deliveries: claimed } = await store.claim({ workerId: "w", max: claimMax, leaseMs: 60_000, now });
        roundTrips += 2; // the script call, then the leased envelopes' HGETs (pipelined)
        assert.ok(claimed.length > 0);
        settled += claimed.length;
        for (const d of claimed)
          pending.push({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(now, 200) });
        while (pending.length >= completeBatch || (settled === deliveries && pending.length > 0)) {
          await store.complete("w", pending.slice(0, completeBatch), now);
          pending = pending.slice(completeBatch);
          roundTrips += 1;
        }
      }
      const atEnd = await commandCalls(own.admin);
      const enqueueDelta = callsBetween(atStart, afterEnqueue);
      const deliveryDelta = callsBetween(afterEnqueue, atEnd);
      const perDelivery = total(deliveryDelta) / deliveries;
      const perEnqueue = total(enqueueDelta) / deliveries;
      console.log(
        `${endpointCount} endpoint(s): redis commands per delivery (claim ${claimMax} + complete ${completeBatch}): ` +
          `${perDelivery.toFixed(2)}; round trips per delivery: ${(roundTrips / deliveries).toFixed(3)}; ` +
          `enqueue: ${perEnqueue.toFixed(2)} commands per message; whole life: ${(perDelivery + perEnqueue).toFixed(2)}`,
      );
      console.log(`claim + complete commands: ${JSON.stringify(deliveryDelta)}`);
      console.log(`enqueue commands: ${JSON.stringify(enqueueDelta)}`);
      for (const id of eps.slice(0, 3)) assert.equal((await store.getEndpointState(id, t0 + 10_000)).queued, 0);
      return perDelivery;
    } finally {
      await store.close();
    }
  }

  it("costs at most 12 commands per delivery through batched claim + complete, one endpoint", async () => {
    const perDelivery = await measure(1, 200, 50, 50);
    assert.ok(perDelivery <= 12, `${perDelivery} commands per delivery`);
  });

  it("costs at most 12 commands per delivery spread over 1,000 endpoints (the realistic case)", async () => {
    // Each claim then serves one delivery per endpoint and each complete touches ~200 endpoints, so per-endpoint
    // work is per-delivery work: the worker's defaults (claims of up to 500, completes of 200).
    const perDelivery = await measure(1000, 3000, 500, 200);
    assert.ok(perDelivery <= 12, `${perDelivery} commands per delivery`);
  });

  /** Enqueues one delivery and claims it back: the store's scripts work end to end. */
  async function enqueueAndClaim(store: RedisSchedulerStore, before?: () => Promise<unknown>): Promise<void> {
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep)]);
    await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 });
    await before?.();
    const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 2 });
    assert.equal(deliveries.length, 1);
  }

  /**
   * Enqueues a batch of 10 large envelopes in one turn (large enough that the store writes their envelopes ahead of the script, in
   * one MULTI/EXEC with it: redis-store.ts, enqueueScript) and claims them back with their envelopes.
   */
  async function enqueueBatchAndClaim(store: RedisSchedulerStore): Promise<void> {
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep)]);
    const envelopes = Array.from({ length: 10 }, () => testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES));
    const results = await Promise.all(
      envelopes.map((envelope) => store.enqueue({ envelope, endpointIds: [ep], now: 1 })),
    );
    const { deliveries } = await store.claim({ workerId: "w", max: 10, leaseMs: 1000, now: 2 });
    assert.deepEqual(
      deliveries.map((d) => [d.deliveryId, d.envelope.id]).sort(),
      results.map((r, i) => [r.deliveryIds[0], envelopes[i]?.id]).sort(),
    );
  }

  it("runs its scripts as one Redis Function library, loaded again after FUNCTION FLUSH", async () => {
    const store = open();
    try {
      const before = await commandCalls(own.admin);
      await enqueueAndClaim(store, () => own.admin.call("FUNCTION", "FLUSH"));
      const calls = callsBetween(before, await commandCalls(own.admin));
      // sync, enqueue, claim (refused: no such function) and the claim again, and the clock's TIME; the library
      // is loaded (or found loaded) at the first call and loaded again after the flush.
      assert.ok((calls.fcall ?? 0) >= 4, `${calls.fcall} FCALL calls`);
      assert.equal(calls["function|load"], 2);
      assert.equal((calls.evalsha ?? 0) + (calls.eval ?? 0), 0);
      const libraries = (await own.admin.call("FUNCTION", "LIST", "LIBRARYNAME", "hookyard_*")) as unknown[];
      assert.equal(libraries.length, 1, "one library, loaded once more after the flush");
      // A transaction whose FCALL names no function: Redis discards it whole (EXECABORT: the HSETs ahead of it are
      // not applied either), and it goes again once the library is loaded again.
      await own.admin.call("FUNCTION", "FLUSH");
      await enqueueBatchAndClaim(store);
      const more = callsBetween(before, await commandCalls(own.admin));
      assert.equal(more["function|load"], 3);
      assert.equal(more.exec, 1, "one transaction applied");
    } finally {
      await store.close();
    }
  });

  it("deletes the libraries of other Hookyard versions at its first load, and no other library", async () => {
    const fakeLibrary = (name: string) =>
      `#!lua name=${name}\nredis.register_function("${name}_ping", function() return "pong" end)`;
    const libraries = async () =>
      ((await own.admin.call("FUNCTION", "LIST")) as unknown[][])
        .map((library) => String(library[library.indexOf("library_name") + 1]))
        .sort();
    await own.admin.call("FUNCTION", "FLUSH");
    // What earlier deployments left (each version's library has its own name), and someone else's library.
    await own.admin.call("FUNCTION", "LOAD", fakeLibrary("hookyard_0000000000000001"));
    await own.admin.call("FUNCTION", "LOAD", fakeLibrary("hookyard_0000000000000002"));
    await own.admin.call("FUNCTION", "LOAD", fakeLibrary("billing_lib"));
    const store = open();
    try {
      await enqueueAndClaim(store);
      const [ours, ...rest] = (await libraries()).filter((name) => name !== "billing_lib");
      assert.match(String(ours), /^hookyard_[0-9a-f]{16}$/);
      assert.deepEqual(rest, [], "the other versions' libraries are gone");
      assert.deepEqual((await libraries()).includes("billing_lib"), true, "a library of another application stays");

      // An instance of an old version still running loads its library again at its next call; this store's own
      // reload (after a flush of its library) must not delete it again, or the two would take turns.
      await own.admin.call("FUNCTION", "LOAD", fakeLibrary("hookyard_0000000000000001"));
      await own.admin.call("FUNCTION", "DELETE", String(ours));
      await enqueueAndClaim(store);
      assert.deepEqual(await libraries(), ["billing_lib", "hookyard_0000000000000001", String(ours)].sort());
    } finally {
      await store.close();
      await own.admin.call("FUNCTION", "FLUSH");
    }
  });

  it("falls back to EVALSHA where FUNCTION LOAD is refused, and recovers from SCRIPT FLUSH", async () => {
    // A user allowed every command but FUNCTION, as some managed Redis services set it up.
    const user = uniqueName("noload");
    await own.admin.call("ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-function");
    const url = new URL(own.server.url);
    url.username = user;
    url.password = "pw";
    const store = createRedisStore({ redis: url.toString(), prefix: uniqueName("hyt") });
    try {
      await own.admin.call("FUNCTION", "FLUSH");
      const before = await commandCalls(own.admin);
      await enqueueAndClaim(store);
      // Scripts run before are sent by EVALSHA now; after the flush, NOSCRIPT sends them again by EVAL.
      await enqueueAndClaim(store, () => own.admin.script("FLUSH"));
      const calls = callsBetween(before, await commandCalls(own.admin));
      assert.equal(calls.fcall ?? 0, 0, JSON.stringify(calls));
      assert.ok((calls.evalsha ?? 0) >= 3, `${JSON.stringify(calls)}: EVALSHA calls`);
      assert.ok((calls.eval ?? 0) >= 4, `${JSON.stringify(calls)}: EVAL calls (first use, then after the flush)`);
      // A batch's transaction by EVALSHA, after a SCRIPT FLUSH.
      await own.admin.script("FLUSH");
      await enqueueBatchAndClaim(store);
      assert.equal(callsBetween(before, await commandCalls(own.admin)).fcall ?? 0, 0);
    } finally {
      await store.close();
      await own.admin.call("ACL", "DELUSER", user);
    }
  });
});

// Each documented fsync mode, with the ackDurability that asks for it, for what it promises against a Redis process
// crash: nothing acknowledged is lost (Redis writes to the AOF before it replies; `always` also fsyncs first). What
// `always` adds — nothing lost when the host loses power — a process kill cannot show; `replicated` is tested with
// a real replica taking over from a master whose host is gone (replicated-ack.test.ts).
for (const mode of ["everysec", "always"] as const) {
  describe(`redis restart mid-run (appendfsync ${mode}, ackDurability ${mode})`, () => {
    it("fails fast while Redis is down and recovers with nothing lost, without a restart", async () => {
      const server = await startPrivateRedis({ config: [`appendfsync ${mode}`] });
      const store = createRedisStore({
        redis: server.url,
        prefix: uniqueName("hyt"),
        connectWaitMs: 200,
        durability: { mode },
      });
      // The start-up check accepts the server for this mode (always refuses anything but appendfsync always).
      assert.deepEqual(await store.checkServer(), []);
      let wakes = 0;
      const unsubscribe = store.onWake(() => {
        wakes += 1;
      });
      try {
        const ep = uniqueId("ep");
        await store.syncEndpoints([testEndpoint(ep, { concurrency: 100 })]);
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) {
          ids.push(...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 100 })).deliveryIds);
        }
        const first = (await store.claim({ workerId: "w", max: 5, leaseMs: 60_000, now: 101 })).deliveries;
        await store.complete(
          "w",
          first.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered" as const, attempt: attemptAt(102, 200) })),
          102,
        );
        // A Redis process crash right after the writes: Redis hands each write to the OS before it replies (and with
        // always fsyncs it first), so a process crash loses nothing acknowledged in either mode.
        await server.stop("SIGKILL");
        await assert.rejects(store.claim({ workerId: "w", max: 10, leaseMs: 60_000, now: 103 }), isRefusedUpFront);
        await assert.rejects(
          store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 103 }),
          isRefusedUpFront,
        );

        const wakesBefore = wakes;
        await server.start();
        // The same store reconnects by itself; scripts are reloaded on NOSCRIPT.
        const rest = await waitFor(
          "the store to claim again after the restart",
          async () => {
            const { deliveries } = await store.claim({ workerId: "w", max: 100, leaseMs: 60_000, now: 104 });
            return deliveries.length > 0 ? deliveries : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
        assert.deepEqual(
          rest.map((d) => d.deliveryId).sort(),
          ids.filter((id) => !first.some((d) => d.deliveryId === id)).sort(),
        );
        // The settles acknowledged before the crash are in the outbox, not lost.
        assert.deepEqual(
          (await takeAllSettled(store, 104)).map((r) => r.deliveryId).sort(),
          first.map((d) => d.deliveryId).sort(),
        );
        // The wake subscriber re-subscribed: a reconnect itself wakes listeners, and so does the next enqueue.
        await waitFor("a wake-up after the restart", () => (wakes > wakesBefore ? true : undefined));
        const seen = wakes;
        await store.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 105 });
        await waitFor("a wake-up for an enqueue after the restart", () => (wakes > seen ? true : undefined));
      } finally {
        unsubscribe();
        await store.close();
        await server.destroy();
      }
    });
  });
}
