import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { type PrivateRedis, requireBrokers, startPrivateRedis, uniqueName, waitFor } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { testEndpoint, testEnvelope, uniqueId } from "../testing.js";
import { createRedisStore, ENVELOPE_AHEAD_MIN_BYTES, type RedisSchedulerStore } from "./redis-store.js";

// ackDurability replicated against a real master + replica pair started by the test (private servers: the test
// kills both, which must not disturb the shared brokers). Run on Debian's Redis 7.0 (WAIT) and on the harness's
// Valkey (WAITAOF, Redis >= 7.2: `test/brokers/brokers up valkey`).

interface ServerKind {
  readonly name: string;
  /** The server binary; Debian's redis-server when absent. */
  readonly binary?: string;
  /** What a replica runs with: WAITAOF replicas fsync on every write, or WAITAOF waits for their next second. */
  readonly replicaConfig: readonly string[];
  /** The command the store must use on it. */
  readonly command: "WAIT" | "WAITAOF";
}

const REDIS_7_0: ServerKind = { name: "Redis 7.0 (WAIT)", replicaConfig: [], command: "WAIT" };

function valkey(): ServerKind {
  return {
    name: "Valkey (WAITAOF)",
    binary: requireBrokers("valkey").valkeyServer,
    replicaConfig: ["appendfsync always"],
    command: "WAITAOF",
  };
}

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

/** Every delivery a store on the (promoted) server at `url` can claim: what it holds of `prefix`'s queues. */
async function claimAllOn(url: string, prefix: string, endpoints: readonly string[]): Promise<Set<string>> {
  const promoted = createRedisStore({ redis: url, prefix });
  try {
    await promoted.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
    const claimed = new Set<string>();
    for (let now = 2; ; now++) {
      const { deliveries } = await promoted.claim({ workerId: "w", max: 1000, leaseMs: 60_000, now });
      if (deliveries.length === 0) return claimed;
      for (const d of deliveries) claimed.add(d.deliveryId);
    }
  } finally {
    await promoted.close();
  }
}

/** A delivery's status as a client of `client` reads it: the first item of its packed state (lib/delivery.lua). */
async function statusOn(client: Redis, deliveryKey: string): Promise<string | undefined> {
  return (await client.hget(deliveryKey, "s"))?.split("|")[0];
}

function notReplicated(error: unknown): boolean {
  return error instanceof HookyardError && error.code === "REDIS_NOT_REPLICATED" && error.retryable;
}

for (const kind of [REDIS_7_0, valkey()]) replicatedSuite(kind);

function replicatedSuite(kind: ServerKind): void {
  describe(`ackDurability replicated on ${kind.name}`, () => {
    let master: PrivateRedis;
    let replica: PrivateRedis;
    let masterClient: Redis;
    let replicaClient: Redis;
    let store: RedisSchedulerStore;
    const prefix = uniqueName("hyt");
    const endpoints = Array.from({ length: 30 }, () => uniqueId("ep"));

    before(async () => {
      const server = kind.binary === undefined ? {} : { binary: kind.binary };
      master = await startPrivateRedis(server);
      replica = await startPrivateRedis({
        ...server,
        config: [`replicaof 127.0.0.1 ${master.port}`, ...kind.replicaConfig],
      });
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
          // Large: calls of 8 or more write such envelopes ahead of the script, in its transaction (enqueueScript).
          store.enqueue({
            envelope: testEnvelope(undefined, ENVELOPE_AHEAD_MIN_BYTES),
            endpointIds: [endpoints[i % endpoints.length] ?? ""],
            now: 1,
          }),
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
      const statuses = await Promise.all(ids.map((id) => statusOn(replicaClient, store.keys.delivery(id))));
      assert.deepEqual(new Set(statuses), new Set(["queued"]));
      // A new store keeps the envelopes of such batches in one hash (storage format 2, storage-format.ts).
      const envelopes = await Promise.all(ids.map((id) => replicaClient.hexists(store.keys.envelopes, id)));
      assert.deepEqual(new Set(envelopes), new Set([1]), "each envelope too");
      const stats = await masterClient.info("commandstats");
      const calls = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
      // WAITAOF (fsynced on the replica too) where the server has it, Redis >= 7.2 and Valkey; WAIT before.
      const version = (await infoField(masterClient, "server", "redis_version")) ?? "0";
      const waitAof = kind.command === "WAITAOF";
      const waits = calls(waitAof ? "waitaof" : "wait");
      assert.equal(calls(waitAof ? "wait" : "waitaof"), 0, `${kind.name}: only ${kind.command}`);
      const scripts = calls("fcall") + calls("evalsha") + calls("eval");
      console.log(
        `${kind.name}, redis_version ${version}, 400 acknowledged enqueues: ${scripts} script calls, ${waits} WAIT(AOF) calls`,
      );
      assert.ok(waits >= 1 && waits <= scripts, `${waits} WAITs for ${scripts} script calls`);
      assert.ok(waits <= 400 / 8, `${waits} WAITs for 400 events`);
      assert.ok(calls("exec") >= 1, "envelopes written ahead, in transactions the WAITs cover");
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
        const statuses = await Promise.all(ids.map((id) => statusOn(replicaClient, patient.keys.delivery(id))));
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
      const claimed = await claimAllOn(replica.url, prefix, endpoints);
      const missing = ids.filter((id) => !claimed.has(id));
      assert.deepEqual(missing, [], `${missing.length} acknowledged deliveries missing on the promoted replica`);
    });
  });
}

describe("ackDurability replicated with WAITAOF (Valkey): the replicas' AOF", () => {
  const binary = valkey().binary ?? "";
  const endpoints = Array.from({ length: 10 }, () => uniqueId("ep"));
  const servers: PrivateRedis[] = [];
  const clients: Redis[] = [];
  after(async () => {
    for (const client of clients) client.disconnect();
    for (const server of servers) await server.destroy();
  });

  /** A Valkey master and one replica running `replicaConfig`, in sync; a replicated store on the master. */
  async function pair(replicaConfig: readonly string[], timeoutMs: number) {
    const master = await startPrivateRedis({ binary });
    servers.push(master);
    const replica = await startPrivateRedis({
      binary,
      config: [`replicaof 127.0.0.1 ${master.port}`, ...replicaConfig],
    });
    servers.push(replica);
    const masterClient = new Redis(master.url);
    const replicaClient = new Redis(replica.url);
    for (const client of [masterClient, replicaClient]) {
      client.on("error", () => undefined);
      clients.push(client);
    }
    await inSync(masterClient, replicaClient);
    const prefix = uniqueName("hyt");
    const store = createRedisStore({
      redis: master.url,
      prefix,
      durability: { mode: "replicated", replicas: 1, timeoutMs },
    });
    after(() => store.close());
    assert.deepEqual(await store.checkServer(), [], "no warning: the master has its replica");
    await store.syncEndpoints(endpoints.map((id) => testEndpoint(id, { concurrency: 1000 })));
    return { master, replica, masterClient, replicaClient, store, prefix };
  }

  it("an acknowledged event is in the replica's AOF: master and replica SIGKILLed right after the acks, the replica's data has every event", async () => {
    const { master, replica, masterClient, store, prefix } = await pair(["appendfsync always"], 5000);
    const acknowledged = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[i % endpoints.length] ?? ""], now: 1 }),
      ),
    );
    const ids = acknowledged.flatMap((result) => result.deliveryIds);
    const stats = await masterClient.info("commandstats");
    assert.match(stats, /^cmdstat_waitaof:calls=[1-9]/m, "the acknowledgements waited on WAITAOF");
    // The master's host is gone, and the replica process dies too: only what its AOF holds is left.
    await master.stop("SIGKILL");
    await replica.stop("SIGKILL");
    await replica.start();
    const restarted = new Redis(replica.url);
    clients.push(restarted);
    await restarted.replicaof("NO", "ONE");
    const claimed = await claimAllOn(replica.url, prefix, endpoints);
    const missing = ids.filter((id) => !claimed.has(id));
    assert.deepEqual(missing, [], `${missing.length} acknowledged deliveries missing from the replica's AOF`);
  });

  it("a replica that keeps no AOF does not count: events are refused (retryable) naming WAITAOF, where WAIT would take them", async () => {
    const { masterClient, store } = await pair(["appendonly no"], 300);
    const refused = await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoints[0] ?? ""], now: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(notReplicated(refused), `refused as not replicated: ${String(refused)}`);
    assert.match((refused as Error).message, /WAITAOF/);
    assert.match((refused as Error).message, /appendonly no/, "the error says why a replica may not count");
    // The same replica applies writes: WAIT (all Redis 7.0 can do) acknowledges them, WAITAOF never does.
    await masterClient.set(uniqueName("probe"), "1");
    assert.equal(await masterClient.wait(1, 5000), 1, "WAIT: the replica applied the write");
    const [, fsynced] = (await masterClient.call("WAITAOF", 0, 1, 300)) as [number, number];
    assert.equal(fsynced, 0, "WAITAOF: no replica fsynced it");
  });
});
