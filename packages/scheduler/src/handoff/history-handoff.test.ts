import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate } from "node:timers/promises";
import { HookyardError } from "@hookyard/core";
import { createMemoryHistoryStore, type HistoryBatch } from "@hookyard/history";
import { waitFor, withDeadline } from "@hookyard/test-brokers";
import { createEmbeddedStore } from "../embedded/embedded-store.js";
import type { SchedulerLogger } from "../logger.js";
import { settleAll, testEndpoint, uniqueId } from "../testing.js";
import { createHistoryHandoff } from "./history-handoff.js";

function recordingLogger(): SchedulerLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_o, message) => void warnings.push(message ?? "") };
}

describe("history hand-off", () => {
  it("writes settled records with owner and numbered attempts, then acknowledges them", async () => {
    const store = createEmbeddedStore();
    const history = createMemoryHistoryStore();
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    const handoff = createHistoryHandoff({ store, history, ownerOf: (id) => (id === ep ? "acme" : undefined) });
    const ids = await settleAll(store, ep, 30, 1_000, "delivered");
    assert.equal(await handoff.drain(), 30);
    const stored = await history.getDeliveries(ids);
    assert.equal(stored.length, 30);
    assert.ok(stored.every((d) => d.owner === "acme" && d.status === "delivered"));
    const [attempt] = await history.listAttempts(ids[0] ?? "");
    assert.deepEqual([attempt?.attempt, attempt?.status], [1, 200]);
    assert.match(attempt?.attemptId ?? "", new RegExp(`^${ids[0]}:`));
    assert.deepEqual(await store.outboxStats(), { records: 0, shed: 0, oldestAgeMs: 0 });
    await handoff.stop();
  });

  it("stops at once when stopped while a take is under way, not after a poll interval", async () => {
    const embedded = createEmbeddedStore();
    let takeStarted!: () => void;
    const taking = new Promise<void>((resolve) => {
      takeStarted = resolve;
    });
    let releaseTake!: () => void;
    const gate = new Promise<void>((resolve) => {
      releaseTake = resolve;
    });
    const handoff = createHistoryHandoff({
      // The take waits at the gate, so stop() comes while it is under way (as SIGTERM does, at any moment).
      store: {
        ...embedded,
        takeSettled: async (request) => {
          takeStarted();
          await gate;
          return embedded.takeSettled(request);
        },
      },
      history: createMemoryHistoryStore(),
      ownerOf: () => undefined,
      pollMs: 3_600_000, // an hour: stop() must not wait for the idle after this take
    });
    handoff.start();
    await taking;
    const stopped = handoff.stop();
    releaseTake();
    // Generous: only a stop that waits out the poll interval (an hour) misses it.
    await withDeadline("the hand-off's stop", stopped, 30_000);
  });

  it("gathers records for its linger before taking them, also those settled while a batch was taken", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] }); // the linger and the idle poll, moved by hand
    const embedded = createEmbeddedStore();
    const ep = uniqueId("ep");
    await embedded.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    let takes = 0;
    const firstTake = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const writes: number[] = [];
    let written = Promise.withResolvers<void>();
    const memory = createMemoryHistoryStore();
    const handoff = createHistoryHandoff({
      store: {
        ...embedded,
        // The first take finds nothing, then waits at the gate: what settles meanwhile settles during a take.
        takeSettled: async (request) => {
          takes += 1;
          const taken = await embedded.takeSettled(request);
          if (takes === 1) {
            firstTake.resolve();
            await gate.promise;
          }
          return taken;
        },
      },
      history: {
        write: async (batch: HistoryBatch) => {
          writes.push(batch.deliveries.length);
          await memory.write(batch);
          written.resolve();
        },
      },
      ownerOf: () => undefined,
      lingerMs: 500,
      pollMs: 3_600_000,
    });
    // The hand-off's work is promises only (no I/O): a few event-loop turns let everything it would do happen.
    const settleTurns = async () => {
      for (let i = 0; i < 3; i++) await setImmediate();
    };

    handoff.start();
    await firstTake.promise;
    await settleAll(embedded, ep, 5, 1_000, "delivered");
    gate.resolve();
    await settleTurns();
    assert.equal(takes, 1, "records settled during a take wait for the linger too");
    t.mock.timers.tick(500);
    await written.promise;
    assert.deepEqual(writes, [5]);

    await settleTurns(); // the loop is idle again
    written = Promise.withResolvers<void>();
    await settleAll(embedded, ep, 3, 2_000, "delivered");
    await settleAll(embedded, ep, 4, 2_000, "delivered");
    t.mock.timers.tick(499);
    await settleTurns();
    assert.deepEqual(writes, [5], "nothing is taken before the linger ends");
    t.mock.timers.tick(1);
    await written.promise;
    assert.deepEqual(writes, [5, 7]);
    await handoff.stop();
  });

  it("counts delivered records the history refuses for good, once acknowledged; a refused dead letter stays", async () => {
    const store = createEmbeddedStore();
    const memory = createMemoryHistoryStore();
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    const delivered = await settleAll(store, ep, 5, 1_000, "delivered");
    const [dead] = await settleAll(store, ep, 1, 2_000, "dead");
    const poison = new Set([delivered[2], dead]);
    const history = {
      async write(batch: HistoryBatch) {
        if (batch.deliveries.some((d) => poison.has(d.deliveryId))) {
          throw new HookyardError("HISTORY_FAILED", "value too long for type character varying");
        }
        await memory.write(batch);
      },
    };
    // The first acknowledgement fails: the batch is held and written again, and its refusal is not counted twice.
    let ackFailures = 1;
    const refused: number[] = [];
    const written: number[] = [];
    const handoff = createHistoryHandoff({
      store: {
        ...store,
        ackSettled: (entries) =>
          ackFailures-- > 0
            ? Promise.reject(new HookyardError("REDIS_UNAVAILABLE", "connection lost"))
            : store.ackSettled(entries),
      },
      history,
      ownerOf: () => "acme",
      observer: { onRefused: (n) => void refused.push(n), onWritten: (n) => void written.push(n) },
    });
    await assert.rejects(handoff.drain(), /connection lost/);
    assert.deepEqual(refused, [], "nothing given up before it is acknowledged");
    await handoff.drain();
    assert.deepEqual(refused, [1], "the delivered record's history given up, counted once");
    assert.deepEqual(written, [4], "written: the other delivered records, not the refused ones");
    const stored = await memory.getDeliveries([...delivered, dead ?? ""]);
    assert.deepEqual(stored.map((d) => d.deliveryId).sort(), delivered.filter((id) => id !== delivered[2]).sort());
    assert.equal((await store.outboxStats()).records, 1, "the refused dead letter waits in the outbox");
    assert.equal((await store.findSettled(dead ?? ""))?.status, "dead");
    await handoff.stop();
  });

  it("logs a refused dead letter as an error once, then at debug each time it is taken again", async () => {
    const store = createEmbeddedStore();
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    const [dead] = await settleAll(store, ep, 1, 1_000, "dead");
    const logged: [level: string, message: string][] = [];
    const log = (level: string) => (_fields: object, message?: string) => void logged.push([level, message ?? ""]);
    let clock = 2_000;
    const handoff = createHistoryHandoff({
      store,
      history: {
        async write() {
          throw new HookyardError("HISTORY_FAILED", "value too long for type character varying");
        },
      },
      ownerOf: () => "acme",
      reclaimAfterMs: 15_000,
      now: () => clock,
      logger: { debug: log("debug"), info() {}, warn() {}, error: log("error") },
    });
    await handoff.drain();
    clock += 15_000; // past the reclaim time: the dead letter is taken again, and refused again
    await handoff.drain();
    const refusals = logged.filter(([, message]) => message.includes("refused a dead letter"));
    assert.deepEqual(
      refusals.map(([level]) => level),
      ["error", "debug"],
    );
    assert.equal((await store.findSettled(dead ?? ""))?.status, "dead", "it stays in the outbox");
    await handoff.stop();
  });

  it("asks the store to forget dead drainers' consumers at most once a minute", async () => {
    const store = createEmbeddedStore();
    const forgets: (number | undefined)[] = [];
    let clock = 1_000;
    const handoff = createHistoryHandoff({
      store: {
        ...store,
        takeSettled: (request) => {
          forgets.push(request.forgetIdleConsumersMs);
          return store.takeSettled(request);
        },
      },
      history: createMemoryHistoryStore(),
      ownerOf: () => "",
      forgetDrainersAfterMs: 300_000,
      now: () => clock,
    });
    await handoff.drain();
    clock += 59_999;
    await handoff.drain();
    clock += 1;
    await handoff.drain();
    assert.deepEqual(forgets, [300_000, undefined, 300_000]);
    await handoff.stop();
  });

  it("keeps delivering while the history store is down, then catches up with every record once", async (t) => {
    const store = createEmbeddedStore({ outboxMaxRecords: 10_000 });
    const memory = createMemoryHistoryStore();
    let down = true;
    let refused = 0;
    const history = {
      async write(batch: HistoryBatch) {
        if (down) {
          refused += 1;
          throw new HookyardError("HISTORY_UNAVAILABLE", "postgres is down", { retryable: true });
        }
        await memory.write(batch);
      },
    };
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    const logger = recordingLogger();
    const handoff = createHistoryHandoff({
      store,
      history,
      ownerOf: () => "acme",
      logger,
      pollMs: 10,
      backoff: { minMs: 1, maxMs: 5 },
    });
    handoff.start();
    t.after(() => handoff.stop());
    const ids = [...(await settleAll(store, ep, 50, 1_000, "delivered"))];
    await waitFor("the hand-off to fail against the history store", () => (refused >= 2 ? true : undefined));
    // Delivery does not wait on the history: more deliveries settle while it is down.
    ids.push(...(await settleAll(store, ep, 50, 2_000, "dead")));
    assert.equal((await store.outboxStats()).records, 100);
    assert.equal((await store.getEndpointState(ep, 2_000)).dead, 50);
    down = false;
    await waitFor("the history to catch up", async () =>
      (await store.outboxStats()).records === 0 ? true : undefined,
    );
    const stored = await memory.getDeliveries(ids);
    assert.equal(stored.length, 100);
    assert.equal(stored.filter((d) => d.status === "dead").length, 50);
    assert.ok(logger.warnings.includes("history hand-off failed; retrying"));
    await handoff.stop();
  });

  it("warns as the outbox fills and when delivered history is shed; dead letters are kept", async (t) => {
    const store = createEmbeddedStore({ outboxMaxRecords: 10 });
    const logger = recordingLogger();
    const filling: number[] = [];
    const shedding: [number, number][] = [];
    const handoff = createHistoryHandoff({
      fillAlertAt: 0.5,
      observer: {
        onFilling: (stats, max) => void filling.push(stats.records / max),
        onShedding: (shed, stats) => void shedding.push([shed, stats.shed]),
      },
      store,
      history: {
        write: () => Promise.reject(new HookyardError("HISTORY_UNAVAILABLE", "down", { retryable: true })),
      },
      ownerOf: () => "acme",
      logger,
      outboxMaxRecords: 10,
      statsEveryMs: 0,
      pollMs: 5,
      backoff: { minMs: 1, maxMs: 2 },
    });
    const ep = uniqueId("ep");
    await store.syncEndpoints([testEndpoint(ep, { concurrency: 1000 })]);
    handoff.start();
    t.after(() => handoff.stop());
    await settleAll(store, ep, 6, 1_000, "delivered");
    await waitFor("a filling warning", () =>
      logger.warnings.includes("history outbox filling up: the history store is slow or down") ? true : undefined,
    );
    await settleAll(store, ep, 8, 2_000, "delivered");
    await settleAll(store, ep, 5, 3_000, "dead");
    // The oldest waiting record settled at 1,000; the store's clock is at 3,000.
    assert.deepEqual(await store.outboxStats(), { records: 15, shed: 4, oldestAgeMs: 2000 });
    await waitFor("the full and shed warnings", () =>
      logger.warnings.includes("history of delivered deliveries shed") &&
      logger.warnings.some((w) => w.startsWith("history outbox full"))
        ? true
        : undefined,
    );
    // The operator alerts: once per episode, not once per look (statsEveryMs 0 looks all the time).
    assert.deepEqual(filling, [0.6]);
    assert.deepEqual(shedding, [[4, 4]]);
    await handoff.stop();
  });
});
