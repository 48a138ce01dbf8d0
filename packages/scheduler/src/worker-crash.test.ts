import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createEnvelope } from "@hookyard/core";
import { createMemoryHistoryStore } from "@hookyard/history";
import { requireBrokers, seededRandom, uniqueName, waitFor, withDeadline } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { createHistoryHandoff } from "./handoff/history-handoff.js";
import { createRedisStore } from "./redis/redis-store.js";
import type { CrashWorkerConfig } from "./testing/crash-worker-main.js";
import { createHttpPostSender, DELIVERY_ID_HEADER, receiverEndpoint } from "./testing/http-post-sender.js";
import { createWorker } from "./worker.js";

const brokers = requireBrokers("redis");
const admin = new Redis(brokers.redisUrl);
after(() => admin.quit());

const ENDPOINTS = 20;
const FANNED_MESSAGES = 50; // × 20 endpoints: envelope stored once, shared by 20 deliveries
const SINGLE_MESSAGES = 1000; // one endpoint each: envelope inline in the delivery
const TOTAL = FANNED_MESSAGES * ENDPOINTS + SINGLE_MESSAGES;
// Distinct deliveries seen before the receiver stops answering and the child is killed: drawn from a seed each run
// (HOOKYARD_TEST_SEED replays one), between 200 and 1,400 of the 2,000.
const { seed: SEED, random } = seededRandom("worker crash test");
const KILL_AFTER = 200 + Math.floor(random() * 1200);
console.log(`worker crash test: SIGKILL after ${KILL_AFTER} of ${TOTAL} deliveries (seed ${SEED})`);
const HELD_BEFORE_KILL = 20; // requests left unanswered (leased, sent, not acked) when the child dies
const LEASE_MS = 1000;

/**
 * A receiver that records every request's delivery id and webhook-id. Once `holdAfter` distinct deliveries
 * arrived it stops answering (the requests stay open), so the worker is killed with sends in flight.
 */
function createReceiver(holdAfter: number) {
  const seen = new Map<string, { count: number; webhookIds: Set<string> }>();
  const held: ServerResponse[] = [];
  let holding = false;
  let heldOnce = false;
  const waiters: { distinct: number; held: number; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (seen.size >= waiter.distinct && held.length >= waiter.held) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const deliveryId = String(req.headers[DELIVERY_ID_HEADER]);
      const entry = seen.get(deliveryId) ?? { count: 0, webhookIds: new Set<string>() };
      entry.count += 1;
      entry.webhookIds.add(String(req.headers["webhook-id"]));
      seen.set(deliveryId, entry);
      if (!heldOnce && seen.size >= holdAfter) {
        holding = true;
        heldOnce = true;
      }
      if (holding) held.push(res);
      else res.end("ok");
      check();
    });
  });
  server.keepAliveTimeout = 10_000;
  return {
    server,
    seen,
    /** Resolves once `distinct` deliveries were seen and `heldCount` requests are being held. */
    until(distinct: number, heldCount = 0): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ distinct, held: heldCount, resolve });
        check();
      });
    },
    /** Answers normally from now on; the held requests are dropped (their client is dead anyway). */
    release() {
      holding = false;
      for (const res of held.splice(0)) res.destroy();
    },
  };
}

test("a worker killed (SIGKILL) mid-batch loses nothing; duplicates keep their webhook-id", async (t) => {
  const prefix = uniqueName("hycrash");
  const receiver = createReceiver(KILL_AFTER);
  const sender = createHttpPostSender();
  let opened: ReturnType<typeof createRedisStore> | undefined;
  // Registered before anything can fail, so a failing run still closes everything and the process exits.
  t.after(async () => {
    sender.close();
    receiver.server.closeAllConnections();
    receiver.server.close();
    await opened?.close();
    await deleteKeys(prefix);
  });
  receiver.server.listen(0, "127.0.0.1");
  await once(receiver.server, "listening");
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  const store = createRedisStore({ redis: brokers.redisUrl, prefix });
  opened = store;
  // The hand-off runs all along in this process: records the child settled reach the history from the outbox.
  const history = createMemoryHistoryStore();
  const handoff = createHistoryHandoff({ store, history, ownerOf: () => "crash-test", pollMs: 200 });
  handoff.start();
  t.after(() => handoff.stop());

  const endpointIds = Array.from({ length: ENDPOINTS }, (_, i) => `ep-${i}`);
  const endpoints = new Map(endpointIds.map((id) => [id, receiverEndpoint(id, receiverUrl)]));
  await store.syncEndpoints([...endpoints.values()]);

  // Delivery id → the envelope id it must carry as webhook-id.
  const expected = new Map<string, string>();
  const payload = JSON.stringify({ order: "ord_1", amount: 4200 });
  const enqueue = async (id: string, targets: readonly string[]) => {
    const envelope = createEnvelope({ id, source: "test:crash", type: "order.paid", data: payload });
    const { deliveryIds } = await store.enqueue({ envelope, endpointIds: targets, now: Date.now() });
    for (const deliveryId of deliveryIds) expected.set(deliveryId, id);
  };
  await Promise.all(Array.from({ length: FANNED_MESSAGES }, (_, i) => enqueue(`evt-fan-${i}`, endpointIds)));
  await Promise.all(
    Array.from({ length: SINGLE_MESSAGES }, (_, i) => enqueue(`evt-one-${i}`, [endpointIds[i % ENDPOINTS] ?? ""])),
  );
  assert.equal(expected.size, TOTAL);

  const config: CrashWorkerConfig = {
    redisUrl: brokers.redisUrl,
    prefix,
    receiverUrl,
    endpointIds,
    workerId: `crash-child-${prefix}`,
    leaseMs: LEASE_MS,
    maxInFlight: 100,
  };
  const childMain = fileURLToPath(new URL("./testing/crash-worker-main.js", import.meta.url));
  const child = spawn(process.execPath, [childMain, JSON.stringify(config)], { stdio: ["pipe", "ignore", "pipe"] });
  let childStderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    childStderr += chunk.toString();
  });
  const exited = once(child, "exit");
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  // Kill once the receiver has seen some deliveries but not all, with sends of the child still unanswered.
  await withDeadline(
    `the child worker to send ${KILL_AFTER} deliveries (seed ${SEED}; child stderr: ${childStderr})`,
    receiver.until(KILL_AFTER, HELD_BEFORE_KILL),
    30_000,
  );
  child.kill("SIGKILL");
  await exited;
  assert.equal(child.signalCode, "SIGKILL");
  const seenAtKill = receiver.seen.size;
  assert.ok(seenAtKill < TOTAL, `killed before the end (${seenAtKill} of ${TOTAL} seen)`);
  const leasedAtKill = await admin.zcard(`{${prefix}}:leases`);
  assert.ok(leasedAtKill >= HELD_BEFORE_KILL, `the dead worker held leases (${leasedAtKill})`);
  receiver.release();

  // A second worker with a short lease: the dead worker's leases expire and come back to it.
  const worker = createWorker({
    store,
    send: sender.send,
    endpoints: (id) => endpoints.get(id),
    workerId: `crash-second-${prefix}`,
    leaseMs: LEASE_MS,
    maxInFlight: 100,
    maxIdleMs: 250, // claims soon after the dead worker's leases expire
  });
  worker.start();
  try {
    await withDeadline("every delivery to reach the receiver", receiver.until(TOTAL), 30_000);
    await waitFor(
      "the store to have nothing queued or leased",
      async () => {
        const [stats, leases, schedule] = await Promise.all([
          store.stats(),
          admin.zcard(`{${prefix}}:leases`),
          admin.zcard(`{${prefix}}:schedule`),
        ]);
        const busy = stats.endpoints.some((state) => state.queued > 0 || state.inFlight > 0);
        return !busy && leases === 0 && schedule === 0 ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
  } finally {
    await worker.stop({ graceMs: 1000 });
  }

  let duplicates = 0;
  for (const [deliveryId, envelopeId] of expected) {
    const entry = receiver.seen.get(deliveryId);
    assert.ok(entry, `delivery ${deliveryId} reached the receiver`);
    assert.deepEqual([...entry.webhookIds], [envelopeId], `every copy of ${deliveryId} has webhook-id ${envelopeId}`);
    if (entry.count > 1) duplicates += 1;
  }
  assert.equal(receiver.seen.size, TOTAL, "no request for an unknown delivery");
  // The requests held at the kill reached the receiver but were never acknowledged: they were sent again.
  assert.ok(duplicates >= HELD_BEFORE_KILL, `deliveries unacknowledged at the kill were redelivered (${duplicates})`);

  // Every delivery settled once in the history, as delivered, with its envelope; nothing left in the outbox.
  await handoff.drain();
  const ids = [...expected.keys()];
  const stored = await history.getDeliveries(ids);
  assert.equal(stored.length, TOTAL, "every delivery is in the history");
  for (const record of stored) {
    assert.equal(record.status, "delivered", `${record.deliveryId} is delivered`);
    assert.equal(record.envelope.id, expected.get(record.deliveryId));
  }
  assert.equal((await store.outboxStats()).records, 0);
});

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await admin.scan(cursor, "MATCH", `{${prefix}}:*`, "COUNT", 1000);
    cursor = next;
    if (found.length > 0) await admin.del(...found);
  } while (cursor !== "0");
}
