import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { type BrokerFixture, jsonEvent } from "./broker-fixture.js";
import { writeConfigFile } from "./config-file.js";
import { TEST_SECRET } from "./gateway-fixture.js";
import { type HookyardProcess, runHookyard } from "./hookyard-process.js";
import { logDigest } from "./log-digest.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { standardPayload, startWebhookReceiver } from "./webhook-receiver.js";

/** Shortest time the broker stays away, so Hookyard's reconnect attempts meet a refusal and back off. */
const OUTAGE_MS = 3000;

/** What a broker brings to the restart test. */
export interface RestartTestBroker {
  readonly fixture: BrokerFixture;
  /** Takes the broker away from Hookyard: stops a private broker, or cuts a TCP proxy in front of a shared one. */
  down(): Promise<void>;
  /** Brings it back (and, for a broker that forgets everything on restart, recreates what the test needs). */
  up(): Promise<void>;
  /** A line Hookyard logs once it noticed the broker is gone. */
  readonly noticed: RegExp;
  /**
   * Whether the broker keeps unacknowledged messages across the outage (every real broker does). pstest keeps
   * nothing across a restart, so there only the events published after it can be checked.
   */
  readonly keepsMessages: boolean;
}

export interface RestartTestReport {
  readonly events: number;
  readonly received: number;
  readonly duplicates: number;
  /** Deliveries before the broker went down (the first half was still being consumed). */
  readonly beforeOutage: number;
  readonly outageMs: number;
  /** From the broker being back to the first event of the second half arriving. */
  readonly resumedAfterMs: number;
  readonly elapsedMs: number;
}

/**
 * The broker goes away mid-stream while one Hookyard process keeps running: half the events are published, the
 * broker is stopped once part of them arrived and Hookyard logged that it noticed, then brought back and the other
 * half published. Every event arrives (at least once, signed, byte-identical) and the process never restarted.
 */
export async function runRestartTest(
  broker: RestartTestBroker,
  options: { events: number },
): Promise<RestartTestReport> {
  const { redisUrl } = requireBrokers("redis");
  const receiver = await startWebhookReceiver(TEST_SECRET);
  const started = Date.now();
  const tag = uniqueName(`restart-${broker.fixture.name}`);
  const half = Math.floor(options.events / 2);
  const first = Array.from({ length: half }, (_, i) => jsonEvent(`${tag}-a${i}`, "restart.test"));
  const second = Array.from({ length: options.events - half }, (_, i) => jsonEvent(`${tag}-b${i}`, "restart.test"));
  const prefix = uniqueName("hy-restart");
  const file = writeConfigFile({
    server: { host: "127.0.0.1", port: 0, shutdownGrace: "2s" },
    // No process is killed here, so a long lease costs nothing; it must outlast the timeout (config rule).
    delivery: { lease: "30s" },
    log: { level: "info", format: "json" },
    redis: { url: redisUrl, prefix },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints: [
      {
        id: "receiver",
        url: `${receiver.url}/restart`,
        secrets: [TEST_SECRET],
        // The receiver shares this test's process with the publisher and the TCP proxy: on a loaded machine it may
        // answer seconds late. A 2 s timeout then failed the first sends, the breaker opened for its 30 s cooldown
        // and the test timed out waiting (CI, stop 22: "70 of 200 webhooks arrived"). What is tested here is the
        // broker's outage, not the endpoint's health: the timeout is generous.
        policy: { concurrency: 64, timeout: "20s", retry: { schedule: [0, "100ms", "200ms", "500ms", "1s"] } },
      },
    ],
    subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
    sources: [broker.fixture.source()],
  });
  let hookyard: HookyardProcess | undefined;
  const seen = () => new Set(receiver.received.map((request) => request.headers["webhook-id"]));
  try {
    hookyard = runHookyard(["start", "-c", file]);
    await hookyard.waitForLine(/hookyard started/);
    await broker.fixture.publish(first);
    await receiver.waitFor(Math.ceil(half / 10), 30_000);
    const noticed = hookyard.waitForNewLine(broker.noticed, 30_000);
    const downAt = Date.now();
    await broker.down();
    const beforeOutage = receiver.received.length;
    await noticed;
    // The outage itself lasts a few seconds (the scenario, not a synchronization): reconnect attempts are refused.
    await delay(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    await broker.up();
    const upAt = Date.now();
    await broker.fixture.publish(second);
    const expected = broker.keepsMessages ? [...first, ...second] : second;
    const missing = () => {
      const ids = seen();
      return expected.filter((event) => !ids.has(event.id)).map((event) => event.id);
    };
    let resumedAt: number | undefined;
    while (missing().length > 0) {
      await receiver.waitFor(receiver.received.length + 1, 45_000).catch((error: Error) => {
        throw new Error(`${error.message}; ${missing().length} events never arrived, e.g. ${missing().slice(0, 3)}`);
      });
      if (resumedAt === undefined && seen().has(`${tag}-b0`)) resumedAt = Date.now();
    }
    assert.equal(hookyard.child.exitCode, null, "the same Hookyard process kept running");
    assert.equal(hookyard.stdout().match(/hookyard started/g)?.length, 1, "Hookyard started once");
    assert.ok(
      receiver.received.every((request) => request.verified),
      "every delivery, duplicates included, is signed",
    );
    for (const request of receiver.received) {
      const data = standardPayload(request.body).data.toString();
      assert.equal(data, JSON.stringify({ id: request.headers["webhook-id"] }));
    }
    const ids = seen();
    return {
      events: options.events,
      received: receiver.received.length,
      duplicates: receiver.received.length - ids.size,
      beforeOutage,
      outageMs: upAt - downAt,
      resumedAfterMs: (resumedAt ?? Date.now()) - upAt,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    if (hookyard === undefined) throw error;
    const seenCount = seen().size;
    throw new Error(
      `${(error as Error).message}\n${seenCount} distinct events arrived, ${receiver.received.length} requests; ` +
        `Hookyard's warnings and errors:\n${logDigest(hookyard.stdout(), hookyard.stderr())}`,
      { cause: error },
    );
  } finally {
    hookyard?.kill("SIGKILL");
    if (hookyard) await hookyard.exited;
    await receiver.close();
    await deleteHookyardKeys(redisUrl, prefix);
    await broker.fixture.cleanup();
  }
}
