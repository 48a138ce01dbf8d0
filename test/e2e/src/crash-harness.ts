import assert from "node:assert/strict";
import { requireBrokers, seededRandom, uniqueName } from "@hookyard/test-brokers";
import { type BrokerFixture, jsonEvent } from "./broker-fixture.js";
import { writeConfigFile } from "./config-file.js";
import { TEST_SECRET } from "./gateway-fixture.js";
import { dropHistorySchema, openHistoryLedger, waitForDeliveredHistory } from "./history-ledger.js";
import { type HookyardProcess, runHookyard } from "./hookyard-process.js";
import { readOutboxState } from "./outbox-probe.js";
import { deleteHookyardClusterKeys, deleteHookyardKeys } from "./redis-cleanup.js";
import { standardPayload, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

/** What a broker brings to the crash test: how to publish events and how Hookyard consumes them. */
export interface CrashTestBroker {
  readonly name: string;
  /** Publishes events whose ids are `ids`, each with `ce-id` and `ce-type` headers/attributes. */
  publish(ids: readonly string[]): Promise<void>;
  /** The `sources[]` entry that consumes what `publish` sent. */
  source(): Record<string, unknown>;
  cleanup(): Promise<void>;
}

/** A broker fixture as the crash test uses it: bodies `{"id":…}`, type `crash.test`. */
export function crashTestBroker(fixture: BrokerFixture): CrashTestBroker {
  return {
    name: fixture.name,
    publish: (ids) => fixture.publish(ids.map((id) => jsonEvent(id, "crash.test"))),
    source: () => fixture.source(),
    cleanup: () => fixture.cleanup(),
  };
}

/**
 * Where and how many Hookyards run: by default one instance on the shared standalone Redis; `cluster` runs
 * `instances` of them on the shared Redis Cluster with `shards` scheduler shards, the kills going to each in turn
 * (the others keep consuming and delivering meanwhile).
 */
export interface CrashTestTopology {
  readonly cluster?: { readonly shards: number; readonly instances: number };
}

export interface CrashTestReport {
  readonly events: number;
  readonly instances: number;
  readonly kills: number;
  readonly received: number;
  readonly duplicates: number;
  readonly elapsedMs: number;
  /** How long the history took to hold every event after the last one reached the receiver. */
  readonly historyWaitMs: number;
  /** The seed the kill points were drawn from (HOOKYARD_TEST_SEED replays them) and the points themselves. */
  readonly seed: number;
  readonly killAfter: readonly number[];
}

/**
 * At-least-once across crashes: `events` events are published, Hookyard (the CLI, on Redis, history on
 * PostgreSQL) consumes them and is SIGKILLed `kills` times at random points of the stream, restarting each time.
 * Every event must reach the receiver at least once; duplicates carry the same webhook-id (the event id) and a
 * valid signature; and every event ends up in the delivery history as delivered (the outbox hand-off survives the
 * kills too). With `cluster`, several instances run on the Redis Cluster and the kills go to each in turn.
 */
export interface CrashTestOptions extends CrashTestTopology {
  readonly events: number;
  readonly kills: number;
  /**
   * Keep at most this many events published ahead of what the receiver got, instead of publishing all before
   * Hookyard starts: for a broker that pushes everything it holds at its consumer whatever its flow control
   * (pstest), where a backlog of 10,000 sits in the client's buffer past its leases and comes back as duplicates.
   */
  readonly publishAhead?: number;
}

export async function runCrashTest(broker: CrashTestBroker, options: CrashTestOptions): Promise<CrashTestReport> {
  const { seed, random } = seededRandom(`crash test ${broker.name}${options.cluster ? " cluster" : ""}`);
  const { redisUrl, postgresUrl } = requireBrokers("redis", "postgres");
  const clusterNodes = options.cluster ? requireBrokers("redis-cluster").redisClusterNodes : [];
  const count = options.cluster?.instances ?? 1;
  const historySchema = uniqueName("hy_crash")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const receiver = await startWebhookReceiver(TEST_SECRET);
  const started = Date.now();
  const ids = Array.from({ length: options.events }, (_, i) => `${uniqueName(broker.name)}-${i}`);
  const prefix = uniqueName("hy-crash");
  const file = writeConfigFile({
    // Port 0: a fixed free port may be taken by an outgoing connection between two restarts.
    server: { host: "127.0.0.1", port: 0, shutdownGrace: "2s" },
    delivery: { lease: "3s" },
    log: { level: "info", format: "json" },
    redis: options.cluster
      ? { cluster: clusterNodes.map((n) => `${n.host}:${n.port}`), prefix, shards: options.cluster.shards }
      : { url: redisUrl, prefix },
    history: { postgres: { url: postgresUrl, schema: historySchema } },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints: [
      {
        id: "receiver",
        url: `${receiver.url}/crash`,
        secrets: [TEST_SECRET],
        // A timed-out attempt may well have reached the receiver (a loaded machine answers late); it is retried
        // after minThrottleDelay, 60 s by default: the history would then wait a minute for its settle. And
        // retries spread over ~20 s, so an overload spell does not exhaust them (dead: never "delivered").
        policy: {
          concurrency: 64,
          timeout: "2s",
          retry: { schedule: [0, "100ms", "200ms", "500ms", "1s", "2s", "5s", "10s"], minThrottleDelay: "1s" },
        },
      },
    ],
    subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
    sources: [broker.source()],
  });
  const instances: (HookyardProcess | undefined)[] = Array.from({ length: count }, () => undefined);
  const start = async (index: number): Promise<void> => {
    const hookyard = runHookyard(["start", "-c", file]);
    instances[index] = hookyard;
    await hookyard.waitForLine(/hookyard started/);
  };
  try {
    const publishing = publishPaced(broker, ids, receiver, options.publishAhead);
    publishing.catch(() => undefined); // awaited below; a failure must not go unhandled while the kills run
    if (options.publishAhead === undefined) await publishing;
    // Kill points: distinct random fractions of the stream, in order.
    const points = Array.from({ length: options.kills }, () => 0.1 + random() * 0.8).sort((a, b) => a - b);
    const killAfter = points.map((point) => Math.max(1, Math.floor(point * options.events)));
    console.log(
      `crash test ${broker.name}: SIGKILL after ${killAfter.join(", ")} of ${options.events} events (seed ${seed})`,
    );
    for (let index = 0; index < count; index++) await start(index);
    for (const [k, after] of killAfter.entries()) {
      await receiver.waitFor(after, 60_000);
      const victim = instances[k % count];
      victim?.kill("SIGKILL");
      await victim?.exited;
      await start(k % count);
    }
    await publishing;
    const missing = () => {
      const seen = new Set(receiver.received.map((request) => request.headers["webhook-id"]));
      return ids.filter((id) => !seen.has(id));
    };
    while (missing().length > 0) {
      await receiver.waitFor(receiver.received.length + 1, 60_000).catch((error: Error) => {
        throw new Error(
          `${error.message}; ${missing().length} events never arrived, e.g. ${missing().slice(0, 3).join(", ")} ` +
            `(kills after ${killAfter.join(", ")} events; seed ${seed})`,
        );
      });
    }
    assert.ok(
      receiver.received.every((request) => request.verified),
      "every delivery, duplicates included, is signed",
    );
    const perId = new Map<string, number>();
    const firstBody = new Map<string, Buffer>();
    for (const request of receiver.received) {
      const id = request.headers["webhook-id"] ?? "";
      perId.set(id, (perId.get(id) ?? 0) + 1);
      // A duplicate carries the same event in the same bytes (the structure's timestamp is the event's time).
      assert.equal(standardPayload(request.body).data.toString(), JSON.stringify({ id }), "the event's payload");
      const first = firstBody.get(id) ?? request.body;
      firstBody.set(id, first);
      assert.deepEqual(request.body, first, "a duplicate carries the same bytes");
    }
    // The history ledger: every event delivered, in PostgreSQL, once the outbox has drained. On a loaded machine
    // the last deliveries settle and drain late: wait while the count of missing events keeps falling.
    const ledger = await openHistoryLedger(postgresUrl, historySchema);
    let historyWaitMs: number;
    try {
      historyWaitMs = await waitForDeliveredHistory(ledger, "receiver", ids, async () =>
        options.cluster ? "(cluster: not read)" : JSON.stringify(await readOutboxState(redisUrl, prefix, "receiver")),
      );
    } finally {
      await ledger.close();
    }
    return {
      events: options.events,
      instances: count,
      kills: options.kills,
      received: receiver.received.length,
      duplicates: receiver.received.length - perId.size,
      elapsedMs: Date.now() - started,
      historyWaitMs,
      seed,
      killAfter,
    };
  } finally {
    for (const hookyard of instances) hookyard?.kill("SIGKILL");
    await Promise.all(instances.map((hookyard) => hookyard?.exited));
    await receiver.close();
    if (options.cluster) await deleteHookyardClusterKeys(clusterNodes, prefix);
    else await deleteHookyardKeys(redisUrl, prefix);
    await dropHistorySchema(postgresUrl, historySchema);
    await broker.cleanup();
  }
}

/** Publishes `ids`: all at once, or in chunks that stay at most `ahead` events before the receiver's count. */
async function publishPaced(
  broker: CrashTestBroker,
  ids: readonly string[],
  receiver: WebhookReceiver,
  ahead: number | undefined,
): Promise<void> {
  if (ahead === undefined) return broker.publish(ids);
  const chunk = Math.max(1, Math.floor(ahead / 2));
  for (let sent = 0; sent < ids.length; sent += chunk) {
    // Generous: the receiver's count stalls while Hookyard restarts after a kill.
    if (sent > ahead - chunk) await receiver.waitFor(sent - (ahead - chunk), 120_000);
    await broker.publish(ids.slice(sent, sent + chunk));
  }
}
