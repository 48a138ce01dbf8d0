import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { uniqueName, waitFor } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore, type RedisSchedulerStore } from "./redis-store.js";
import { createTestRedisServer, type TestRedisServer } from "./test-redis-server.js";

// ackDurability replicated against a real master + replica pair started by the test (private servers: the test
// kills both, which must not disturb the shared brokers).

async function infoField(client: Redis, section: string, field: string): Promise<string | undefined> {
  const info = await client.info(section);
  return new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

async function inSync(master: Redis, replica: Redis): Promise<void> {
  await waitFor("the replica to be in sync", async () => {
    const link = await infoField(replica, "replication", "master_link_status");
    const connected = await infoField(master, "replication", "connected_slaves");
    return link === "up" && connected === "1" ? true : undefined;
  });
}

/** A delivery's status as a client of `client` reads it: the first item of its packed state (lib/delivery.lua). */
async function statusOn(client: Redis, deliveryKey: string): Promise<string | undefined> {
  return (await client.hget(deliveryKey, "s"))?.split("|")[0];
}

function notReplicated(error: unknown): boolean {
  return error instanceof HookyardError && error.code === "REDIS_NOT_REPLICATED" && error.retryable;
}

describe("ackDurability replicated", () => {
  let master: TestRedisServer;
  let replica: TestRedisServer;
  let masterClient: Redis;
  let replicaClient: Redis;
  let store: RedisSchedulerStore;
  const prefix = uniqueName("hyt");
  const endpoints = Array.from({ length: 30 }, () => uniqueId("ep"));

  before(async () => {
    master = await createTestRedisServer();
    replica = await createTestRedisServer([`replicaof 127.0.0.1 ${master.port}`]);
    masterClient = new Redis(master.url);
    replicaClient = new Redis(replica.url);
    replicaClient.on("error", () => undefined);
    await inSync(masterClient, replicaClient);
    store = createRedisStore({
      redis: master.url,
      prefix,
      durability: { mode: "replicated", replicas: 1, timeoutMs: 500 },
    });
    await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
  });
  after(async () => {
    await store.close();
    masterClient.disconnect();
    replicaClient.disconnect();
    await replica.destroy();
    await master.destroy();
  });

  async function enqueueMany(count: number): Promise<string[]> {
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[i % endpoints.length] ?? ""], now: 1 }),
      ),
    );
    return results.flatMap((result) => result.deliveryIds);
  }

  it("acknowledges an enqueue only once the replica holds it, one WAIT covering many events", async () => {
    assert.deepEqual(await store.checkServer(), []);
    await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[0] ?? ""], now: 1 }); // scripts loaded
    await masterClient.config("RESETSTAT");
    const ids = await enqueueMany(400);
    // Read right after the acknowledgements, from the replica: WAIT returned only once it had applied them.
    const statuses = await Promise.all(ids.map(async (id) => statusOn(replicaClient, store.keys.delivery(id))));
    assert.deepEqual(new Set(statuses), new Set(["queued"]));
    const stats = await masterClient.info("commandstats");
    const calls = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
    // WAITAOF (fsynced on the replica too) where the server has it, Redis >= 7.2; WAIT before.
    const version = (await infoField(masterClient, "server", "redis_version")) ?? "0";
    const [major = 0, minor = 0] = version.split(".").map(Number);
    const waitAof = major > 7 || (major === 7 && minor >= 2);
    const waits = calls(waitAof ? "waitaof" : "wait");
    assert.equal(calls(waitAof ? "wait" : "waitaof"), 0, `Redis ${version}: only ${waitAof ? "WAITAOF" : "WAIT"}`);
    const scripts = calls("evalsha") + calls("eval");
    console.log(`Redis ${version}, 400 acknowledged enqueues: ${scripts} script calls, ${waits} WAIT(AOF) calls`);
    assert.ok(waits >= 1 && waits <= scripts, `${waits} WAITs for ${scripts} script calls`);
    assert.ok(waits <= 400 / 8, `${waits} WAITs for 400 events`);
  });

  it("holds the acknowledgement while the replica has not applied the writes", async () => {
    const patient = createRedisStore({
      redis: master.url,
      prefix,
      durability: { mode: "replicated", replicas: 1, timeoutMs: 20_000 },
    });
    const ep = endpoints[1] ?? "";
    try {
      await patient.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 });
      const queuedBefore = await masterClient.zcard(patient.keys.queue(ep));
      replica.pause();
      let resolved = 0;
      const pending = Array.from({ length: 50 }, () =>
        patient.enqueue({ envelope: testEnvelope(), endpointIds: [ep], now: 1 }).then((result) => {
          resolved += 1;
          return result;
        }),
      );
      // The writes are on the master (the scripts ran and replied) ...
      await waitFor("the enqueues to reach the master", async () =>
        (await masterClient.zcard(patient.keys.queue(ep))) === queuedBefore + 50 ? true : undefined,
      );
      // ... and a round trip later still none is acknowledged: each waits for the stalled replica.
      await patient.getEndpointState(ep, 1);
      assert.equal(resolved, 0, "acknowledged before the replica held the events");
      replica.resume();
      const ids = (await Promise.all(pending)).flatMap((result) => result.deliveryIds);
      const statuses = await Promise.all(ids.map(async (id) => statusOn(replicaClient, patient.keys.delivery(id))));
      assert.deepEqual(new Set(statuses), new Set(["queued"]));
    } finally {
      replica.resume();
      await patient.close();
    }
  });

  it("refuses events (retryable) while no replica acknowledges, and takes them again once it is back", async () => {
    await replica.stop("SIGKILL");
    await assert.rejects(
      store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[0] ?? ""], now: 1 }),
      notReplicated,
    );
    await replica.start();
    await inSync(masterClient, replicaClient);
    const ids = await enqueueMany(20);
    assert.equal(ids.length, 20);
  });

  it("a promoted replica holds every acknowledged event after the master's host is lost", async () => {
    const ids = await enqueueMany(300);
    await master.stop("SIGKILL"); // the master and its disk are gone; the replica takes over
    await replicaClient.replicaof("NO", "ONE");
    const promoted = createRedisStore({ redis: replica.url, prefix });
    try {
      await promoted.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
      const claimed = new Set<string>();
      for (let now = 2; ; now++) {
        const { deliveries } = await promoted.claim({ workerId: "w", max: 1000, leaseMs: 60_000, now });
        if (deliveries.length === 0) break;
        for (const d of deliveries) claimed.add(d.deliveryId);
      }
      const missing = ids.filter((id) => !claimed.has(id));
      assert.deepEqual(missing, [], `${missing.length} acknowledged deliveries missing on the promoted replica`);
    } finally {
      await promoted.close();
    }
  });
});
