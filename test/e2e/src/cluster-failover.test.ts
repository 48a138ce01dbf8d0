import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PrivateRedisCluster, startPrivateRedisCluster, uniqueName, waitFor } from "@hookyard/test-brokers";
import { writeConfigFile } from "./config-file.js";
import { INGEST_KEY, TEST_SECRET } from "./gateway-fixture.js";
import { freePort, type HookyardProcess, runHookyard } from "./hookyard-process.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

// The loss ledger on Redis Cluster: two Hookyard instances (the CLI, as a user runs it) on a private 3-master +
// 3-replica cluster with 6 scheduler shards, events POSTed to both while rate limits keep a backlog queued; once
// half are acknowledged, a master is SIGKILLed. Its replica is promoted and delivers the backlog, both instances
// going on without a restart (MOVED to the new master); then the killed host comes back as a replica. The ledger
// compares what was acknowledged (202) with what the receiver got.

const EVENTS = 1200;
/**
 * Per endpoint: the 12 endpoints drain at most 36 events/s, well below what two instances take in even on a
 * loaded machine (~100/s seen at load average 20), so the kill finds a backlog.
 */
const RATE_PER_SECOND = 3;
/** Acknowledged and not yet delivered when the master is killed, at least. */
const BACKLOG = 100;
const ENDPOINTS = 12;
const SHARDS = 6;

interface Ledger {
  readonly acknowledged: number;
  /** Acknowledged before the fence: a replica held them when the master was killed. */
  readonly fenced: ReadonlySet<string>;
  /** Acknowledged, never delivered. */
  readonly lost: readonly string[];
  readonly duplicates: number;
  readonly deliveries: number;
  /** POSTs answered other than 202 (sent again). */
  readonly refused: number;
}

interface Producer {
  readonly acknowledged: string[];
  /** Answers other than 202 (503 while Redis fails over or a replica is missing), each sent again. */
  refused: number;
  /** Set when the test ends: the producer stops at its next event. */
  stopped: boolean;
}

/** POSTs every id to the instances in turn, a few at a time, until each one was acknowledged (202). */
function produce(ids: readonly string[], ports: readonly number[], producer: Producer): Promise<void> {
  const pending = [...ids];
  let next = 0;
  const one = async (): Promise<void> => {
    for (let id = pending.shift(); id !== undefined && !producer.stopped; id = pending.shift()) {
      const port = ports[next++ % ports.length] ?? 0;
      const index = Number(id.slice(id.lastIndexOf("-") + 1));
      const status = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ id, type: `failover.${index % ENDPOINTS}`, data: { id } }),
      }).then(
        (response) => response.status,
        () => 0, // the instance did not answer: a producer tries again
      );
      if (status === 202) {
        producer.acknowledged.push(id);
      } else if (status === 0 || status >= 500) {
        producer.refused += 1;
        pending.push(id); // refused (503: Redis failing over, or not replicated yet): sent again later
        await new Promise((resolve) => setTimeout(resolve, 20)); // a producer's back-off, not a synchronization
      } else {
        throw new Error(`ingest answered ${status} for ${id}`);
      }
    }
  };
  return Promise.all(Array.from({ length: 12 }, one)).then(() => undefined);
}

/** Deliveries of `prefix` still in Redis (queued or leased) on every live master. */
async function deliveriesLeft(cluster: PrivateRedisCluster, prefix: string): Promise<number> {
  let left = 0;
  for (const node of cluster.nodes.filter((n) => n.alive)) {
    if (!(await node.admin.info("replication")).includes("role:master")) continue;
    let cursor = "0";
    do {
      const [nextCursor, keys] = await node.admin.scan(cursor, "MATCH", `{${prefix}:*}:dlv:*`, "COUNT", 1000);
      cursor = nextCursor;
      left += keys.length;
    } while (cursor !== "0");
  }
  return left;
}

function distinctIds(receiver: WebhookReceiver): Set<string> {
  return new Set(receiver.received.map((request) => request.headers["webhook-id"] ?? ""));
}

async function runFailover(mode: "replicated" | "everysec"): Promise<Ledger> {
  const cluster = await startPrivateRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  const receiver = await startWebhookReceiver(TEST_SECRET);
  const prefix = uniqueName("hy-failover");
  const file = writeConfigFile({
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} the config loader interpolates per instance
    server: { host: "127.0.0.1", port: "${HOOKYARD_PORT}", shutdownGrace: "2s", storeTimeout: "10s" },
    log: { level: "info", format: "json" },
    redis: {
      cluster: cluster.clusterNodes.map((node) => `${node.host}:${node.port}`),
      prefix,
      shards: SHARDS,
      ackDurability: mode,
      ackReplicaTimeout: "2s",
    },
    ingest: { enabled: true, apiKeys: [INGEST_KEY] },
    delivery: { lease: "3s" },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints: Array.from({ length: ENDPOINTS }, (_, i) => ({
      id: `ep-${i}`,
      url: `${receiver.url}/ep-${i}`,
      secrets: [TEST_SECRET],
      policy: {
        concurrency: 32,
        timeout: "2s",
        rateLimit: { perSecond: RATE_PER_SECOND },
        retry: { schedule: [0, "100ms", "200ms", "500ms", "1s"] },
      },
    })),
    subscriptions: Array.from({ length: ENDPOINTS }, (_, i) => ({
      id: `s-${i}`,
      endpoints: [`ep-${i}`],
      types: [`failover.${i}`],
    })),
  });
  const ports = [await freePort(), await freePort()];
  const instances: HookyardProcess[] = ports.map((port) =>
    runHookyard(["start", "-c", file], { HOOKYARD_PORT: String(port) }),
  );
  let producer: Producer | undefined;
  try {
    await Promise.all(instances.map((instance) => instance.waitForLine(/hookyard started/)));
    const ids = Array.from({ length: EVENTS }, (_, i) => `${prefix}-${i}`);
    producer = { acknowledged: [], refused: 0, stopped: false };
    const { acknowledged } = producer;
    const producing = produce(ids, ports, producer);
    producing.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

    // Mid-drain: half acknowledged, a backlog queued. Fence (a replica holds everything acknowledged so far),
    // then SIGKILL the master.
    await waitFor(
      `half the events acknowledged and ${BACKLOG} of them queued`,
      () =>
        acknowledged.length >= EVENTS / 2 && acknowledged.length - distinctIds(receiver).size >= BACKLOG
          ? true
          : undefined,
      { timeoutMs: 180_000 },
    );
    const victim = cluster.nodes.find((n) => n.port === cluster.clusterNodes[0]?.port);
    assert.ok(victim);
    const fenced = new Set(acknowledged);
    await cluster.fence(victim.port);
    await victim.kill();
    const deliveredAtKill = distinctIds(receiver).size;
    const heir = await cluster.waitForPromotion(victim.port);
    console.log(
      `${mode}: master ${victim.port} SIGKILLed with ${fenced.size} of ${EVENTS} events acknowledged and ` +
        `${deliveredAtKill} delivered; replica ${heir} promoted`,
    );
    // Delivery resumes on the same instances, the killed master's shards included (served by the heir alone):
    // every event acknowledged before the fence arrives before the old host is back.
    await waitFor(
      "every event acknowledged before the kill delivered",
      () => {
        const delivered = distinctIds(receiver);
        return [...fenced].every((id) => delivered.has(id)) ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    // The killed host comes back and rejoins as the heir's replica (replicated: the heir takes events again).
    await victim.restart();
    await producing;

    // Drained: no delivery of this run left in Redis; then what was acknowledged and never delivered is lost.
    await waitFor(
      "the drain to finish",
      async () => ((await deliveriesLeft(cluster, prefix)) === 0 ? true : undefined),
      {
        timeoutMs: 180_000,
        intervalMs: 250,
      },
    );
    for (const instance of instances) {
      assert.equal(instance.child.exitCode, null, `an instance exited: ${instance.stderr().slice(-2000)}`);
    }
    assert.ok(
      receiver.received.every((request) => request.verified),
      "every delivery is signed",
    );
    const delivered = distinctIds(receiver);
    assert.ok(delivered.size > deliveredAtKill, "delivery went on after the failover");
    return {
      acknowledged: acknowledged.length,
      fenced,
      lost: acknowledged.filter((id) => !delivered.has(id)),
      duplicates: receiver.received.length - delivered.size,
      deliveries: receiver.received.length,
      refused: producer.refused,
    };
  } finally {
    if (producer) producer.stopped = true;
    for (const instance of instances) instance.kill("SIGKILL");
    await Promise.all(instances.map((instance) => instance.exited));
    await receiver.close();
    await cluster.stop();
  }
}

function report(mode: string, ledger: Ledger): void {
  console.log(
    `${mode} loss ledger: ${ledger.acknowledged} acknowledged, ${ledger.lost.length} lost ` +
      `(${ledger.lost.slice(0, 5).join(", ")}), ${ledger.duplicates} duplicates in ${ledger.deliveries} deliveries; ` +
      `${ledger.refused} POSTs refused during the failover and sent again`,
  );
}

describe("Redis Cluster failover under two Hookyard instances (loss ledger)", () => {
  it("ackDurability replicated: a master SIGKILLed mid-drain loses nothing acknowledged", async () => {
    const ledger = await runFailover("replicated");
    report("replicated", ledger);
    assert.equal(ledger.acknowledged, EVENTS);
    assert.deepEqual(ledger.lost, [], "acknowledged events lost");
  });

  it("ackDurability everysec: what a failover loses is reported, and only what was not yet replicated", async () => {
    const ledger = await runFailover("everysec");
    report("everysec", ledger);
    assert.equal(ledger.acknowledged, EVENTS);
    // Bounded: everything acknowledged before the fence was on the replica that took over.
    const lostBeforeFence = ledger.lost.filter((id) => ledger.fenced.has(id));
    assert.deepEqual(lostBeforeFence, [], "events a replica held were lost");
  });
});
