import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { requireBrokers, uniqueName, withDeadline } from "@hookyard/test-brokers";
import { writeConfigFile } from "./config-file.js";
import { INGEST_KEY, TEST_SECRET } from "./gateway-fixture.js";
import { freePort, runHookyard } from "./hookyard-process.js";
import { logDigest } from "./log-digest.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

const GRACE_MS = 3000;

describe("SIGTERM under load", () => {
  it("loses nothing that was accepted and exits within the grace period", async () => {
    const { redisUrl } = requireBrokers("redis");
    const receiver = await startWebhookReceiver(TEST_SECRET);
    const port = await freePort();
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port, shutdownGrace: `${GRACE_MS}ms` },
      log: { level: "info", format: "json" },
      redis: { url: redisUrl, prefix: uniqueName("hy-sigterm") },
      ingest: { enabled: true, apiKeys: [INGEST_KEY] },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: Array.from({ length: 4 }, (_, i) => ({
        id: `ep-${i}`,
        url: `${receiver.url}/ep-${i}`,
        secrets: [TEST_SECRET],
        policy: { concurrency: 4, retry: { schedule: [0, "200ms", "500ms"] } },
      })),
      subscriptions: [{ id: "all", endpoints: ["ep-0", "ep-1", "ep-2", "ep-3"], types: ["*"] }],
    });

    const first = runHookyard(["start", "-c", file]);
    // Whatever fails, the receiver closes and no Hookyard outlives the test: an open server would keep this file's
    // process (and with it the whole test run) waiting forever.
    after(async () => {
      first.kill("SIGKILL");
      await first.exited;
      await receiver.close();
    });
    await first.waitForLine(/hookyard started/);
    const accepted: string[] = [];
    let refused = 0;
    let stopSending = false;
    const sender = async () => {
      while (!stopSending) {
        const id = uniqueName("evt");
        try {
          const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ id, type: "load.test", data: { id } }),
          });
          if (response.status === 202) accepted.push(id);
          else refused += 1;
          await response.body?.cancel();
        } catch {
          refused += 1; // the server stopped listening: expected once shutdown began
          if (first.child.exitCode !== null) return;
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    // SIGTERM once the gateway is busy: events accepted and deliveries in flight.
    await withDeadline(
      "200 accepted events",
      (async () => {
        while (accepted.length < 200) await receiver.waitFor(receiver.received.length + 1);
      })(),
      20_000,
    );
    const signalledAt = Date.now();
    first.kill("SIGTERM");
    const exit = await first.exited;
    const shutdownMs = Date.now() - signalledAt;
    stopSending = true;
    await Promise.all(senders);
    assert.equal(exit.code, 0, first.stderr());
    assert.ok(
      shutdownMs < GRACE_MS + 2000,
      `exited ${shutdownMs} ms after SIGTERM (grace ${GRACE_MS} ms); Hookyard's shutdown:\n${shutdownLines(first.stdout())}`,
    );

    // A new instance on the same Redis finishes what the first one had accepted but not delivered.
    const second = runHookyard(["start", "-c", file]);
    try {
      await second.waitForLine(/hookyard started/);
      const expected = accepted.length * 4;
      await receiver.waitFor(expected, 30_000);
      const delivered = new Set(receiver.received.map((r) => `${r.path}|${r.headers["webhook-id"]}`));
      const missing = accepted.flatMap((id) =>
        [0, 1, 2, 3].map((i) => `/ep-${i}|${id}`).filter((key) => !delivered.has(key)),
      );
      assert.deepEqual(missing, [], `${missing.length} accepted deliveries never arrived`);
      assert.ok(receiver.received.every((r) => r.verified));
    } finally {
      second.kill("SIGTERM");
      await second.exited;
    }
    assert.ok(accepted.length >= 200, `accepted ${accepted.length}, refused ${refused}`);
  });
});

/** What a slow exit spent its time on: Hookyard's warnings and errors before the signal, then every line after it. */
function shutdownLines(stdout: string): string {
  const signalled = stdout.lastIndexOf("\n", stdout.indexOf('"shutting down"')) + 1;
  const after = stdout
    .slice(signalled)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.slice(0, 500));
  return `${logDigest(stdout.slice(0, signalled), "")}\nfrom the signal on:\n${after.join("\n")}`;
}
