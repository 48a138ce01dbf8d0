import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectorDefinition, Envelope } from "@hookyard/core";
import { pino } from "pino";
import { fakeConnector, resolveFakeConnector } from "../config/fake-connector.fixture.js";
import { loadConfigText } from "../config/load-config.js";
import type { HookyardConfig } from "../config/types.js";
import { startGateway } from "../gateway/gateway.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROUTE_KEY = "route-key-0123456789abcdef";

function text(target: string, keys = { ingest: "ingest-key-1-0123456789", admin: "admin-key-1-0123456789" }): string {
  return `
server: { host: 127.0.0.1, port: 0 }
log: { level: silent }
ingest: { enabled: true, apiKeys: [${keys.ingest}] }
admin: { enabled: true, apiKeys: [${keys.admin}] }
endpoints:
  - { id: a, url: "https://example.com/a", secrets: ["${SECRET}"] }
sinks:
  - { id: queue-1, type: fake, config: { queue: q1 } }
ingress:
  routes:
    - { id: r, path: /in/r, verifier: { type: api-key, secrets: ["${ROUTE_KEY}"] }, defaultTargets: [${target}] }
`;
}

/** The fake connector, its sink recording what it publishes. */
function recordingConnector(): { resolve: (type: string) => ConnectorDefinition; published: Promise<Envelope> } {
  let publish: (envelope: Envelope) => void = () => undefined;
  const published = new Promise<Envelope>((resolve) => {
    publish = resolve;
  });
  const sink = fakeConnector.sink as NonNullable<ConnectorDefinition["sink"]>;
  const definition: ConnectorDefinition = {
    ...fakeConnector,
    sink: {
      ...sink,
      create: () => ({
        send: async (batch) => {
          for (const envelope of batch) publish(envelope);
        },
        stop: async () => undefined,
      }),
    },
  };
  return { resolve: (type) => (type === "fake" ? definition : resolveFakeConnector(type)), published };
}

const load = (source: string): Promise<HookyardConfig> =>
  loadConfigText(source, "hookyard.yaml", { env: {}, resolveConnector: resolveFakeConnector });

describe("a running gateway reloads its config", () => {
  it("moves an inbound route to a running sink, and serves /readyz with the new hash", async () => {
    let file = text("a");
    const connector = recordingConnector();
    const gateway = await startGateway(await load(file), {
      logger: pino({ level: "silent" }),
      resolveConnector: async (type) => connector.resolve(type),
      loadConfig: () => load(file),
    });
    try {
      const initial = gateway.loadedConfig().hash;
      file = text("queue-1");
      const report = await gateway.reload("api");
      assert.equal(report.result, "applied", report.problems.join("\n"));
      assert.deepEqual(report.applied, ["ingress.routes"]);
      assert.notEqual(report.config.hash, initial);
      const response = await fetch(`${gateway.url}/in/r`, {
        method: "POST",
        headers: { "x-api-key": ROUTE_KEY, "content-type": "application/json" },
        body: '{"marker":"to-the-sink"}',
      });
      assert.equal(response.status, 200, await response.text());
      const published = await connector.published;
      assert.equal(Buffer.from(published.data).toString(), '{"marker":"to-the-sink"}');
      const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as { config: { hash: string } };
      assert.equal(ready.config.hash, report.config.hash);
    } finally {
      await gateway.stop();
    }
  });

  it("rotates ingest and admin API keys without a restart", async () => {
    const first = { ingest: "ingest-key-1-0123456789", admin: "admin-key-1-0123456789" };
    const second = { ingest: "ingest-key-2-0123456789", admin: "admin-key-2-0123456789" };
    let file = text("a", first);
    const gateway = await startGateway(await load(file), {
      logger: pino({ level: "silent" }),
      resolveConnector: async (type) => resolveFakeConnector(type),
      loadConfig: () => load(file),
    });
    const ingest = (key: string) =>
      fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "order.created", data: {} }),
      }).then((response) => response.status);
    const admin = (key: string) =>
      fetch(`${gateway.url}/admin/v1/config`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    try {
      assert.deepEqual([await ingest(first.ingest), await admin(first.admin)], [202, 200]);
      file = text("a", second);
      const report = await gateway.reload("signal");
      assert.deepEqual(report.applied, ["ingest.apiKeys", "admin.apiKeys"]);
      assert.deepEqual(report.restartRequired, []);
      assert.deepEqual([await ingest(first.ingest), await admin(first.admin)], [401, 401]);
      assert.deepEqual([await ingest(second.ingest), await admin(second.admin)], [202, 200]);
    } finally {
      await gateway.stop();
    }
  });
});
