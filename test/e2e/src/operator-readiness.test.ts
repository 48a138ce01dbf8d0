import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { requireBrokers, startTcpProxy, uniqueName, waitFor } from "@hookyard/test-brokers";
import { Webhook } from "standardwebhooks";
import { writeConfigFile } from "./config-file.js";
import { freePort, runHookyard } from "./hookyard-process.js";
import { pubsubFixture } from "./pubsub-fixture.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

const INGEST_KEY = "readiness-ingest-key-0123456789";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly { name: string; ok: boolean }[];
  readonly components: readonly { name: string; ok: boolean; error?: string }[];
}

describe("readiness per function: a source's broker down leaves ingress and ingest in rotation", () => {
  it("marks the source unhealthy (log, /readyz detail, metric) while /readyz stays 200 and ingress and ingest answer 2xx", async () => {
    const brokers = requireBrokers("redis", "pubsub");
    const [host = "", port = ""] = brokers.pubsubEmulatorHost.split(":");
    // The shared Pub/Sub fake stays up; the proxy in front of it is what goes down.
    const proxy = await startTcpProxy({ host, port: Number(port) });
    after(() => proxy.close());
    const fixture = await pubsubFixture({ sourceHost: proxy.address });
    after(() => fixture.cleanup());
    const receiver = await startWebhookReceiver(SECRET);
    after(() => receiver.close());
    const prefix = uniqueName("hy-ready");
    after(() => deleteHookyardKeys(brokers.redisUrl, prefix));

    const [publicPort, internalPort] = [await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${publicPort}`;
    const internalUrl = `http://127.0.0.1:${internalPort}`;
    const file = writeConfigFile({
      server: {
        host: "127.0.0.1",
        port: publicPort,
        internal: { port: internalPort },
        connectorCheckInterval: "200ms",
      },
      log: { level: "info", format: "json" },
      redis: { url: brokers.redisUrl, prefix },
      ingest: { enabled: true, apiKeys: [INGEST_KEY] },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "receiver", url: `${receiver.url}/hooks`, secrets: [SECRET] }],
      subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
      ingress: {
        routes: [
          {
            id: "acme",
            path: "/ingress/acme",
            verifier: { type: "standard-webhooks", secrets: [SECRET] },
            defaultTargets: ["receiver"],
          },
        ],
      },
      sources: [fixture.source("orders")],
    });
    const hookyard = runHookyard(["start", "-c", file]);
    after(async () => {
      hookyard.kill("SIGTERM");
      await hookyard.exited;
    });
    await hookyard.waitForLine(/hookyard started/);

    const readiness = async (base = publicUrl) => {
      const response = await fetch(`${base}/readyz`);
      return { status: response.status, body: (await response.json()) as Readiness };
    };
    const sourceStatus = (report: Readiness) => report.components.find((item) => item.name === "source:orders");
    const componentUp = async () => {
      const text = await (await fetch(`${internalUrl}/metrics`)).text();
      return /hookyard_component_up\{component="source:orders"\} (\d)/.exec(text)?.[1];
    };
    await waitFor("the source's first check", async () => sourceStatus((await readiness()).body)?.ok || undefined);
    assert.deepEqual(
      (await readiness()).body.checks.map((check) => check.name),
      ["store"],
      "readiness pings the store",
    );

    await proxy.down();
    await hookyard.waitForNewLine(/"component":"source:orders".*"message":"source unhealthy"/);
    const during = await readiness();
    assert.equal(during.status, 200, JSON.stringify(during.body));
    assert.equal(during.body.ready, true);
    assert.equal(sourceStatus(during.body)?.ok, false, "the source is reported down");
    assert.equal(sourceStatus(during.body)?.error, undefined, "the public listener does not say why");
    const internal = await readiness(internalUrl);
    assert.equal(internal.status, 200);
    assert.ok(sourceStatus(internal.body)?.error, `the internal listener does: ${JSON.stringify(internal.body)}`);
    assert.equal(await componentUp(), "0");

    const ingestId = uniqueName("evt");
    const ingest = await fetch(`${publicUrl}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ id: ingestId, type: "order.created", data: { n: 1 } }),
    });
    assert.equal(ingest.status, 202, await ingest.text());
    const inboundId = uniqueName("msg");
    const body = JSON.stringify({ type: "user.created", data: { n: 2 } });
    const now = new Date();
    const inbound = await fetch(`${publicUrl}/ingress/acme`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": inboundId,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(SECRET).sign(inboundId, now, body),
      },
      body,
    });
    assert.ok(inbound.status >= 200 && inbound.status < 300, `inbound webhook: ${inbound.status}`);
    await waitFor("both events delivered while the source is down", async () => {
      const ids = receiver.received.map((request) => request.headers["webhook-id"] ?? "");
      return ids.includes(ingestId) && receiver.received.length >= 2 ? true : undefined;
    });

    await proxy.up();
    await hookyard.waitForNewLine(/"component":"source:orders".*"message":"source healthy again"/);
    assert.equal(sourceStatus((await readiness()).body)?.ok, true);
    assert.equal(await componentUp(), "1");
  });
});
