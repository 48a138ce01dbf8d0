import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEndpointRegistry, createMemoryAdminStorage } from "@hookyard/admin";
import type { IngressRoute, IngressRoutes } from "@hookyard/ingress";
import { createEmbeddedStore } from "@hookyard/scheduler";
import { resolveFakeConnector } from "../config/fake-connector.fixture.js";
import { loadConfigText } from "../config/load-config.js";
import type { HookyardConfig } from "../config/types.js";
import { createApplyConfig } from "./apply-config.js";
import { configChanges } from "./config-changes.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function text(options: { sinks: string[]; target: string; timeout?: string; lease?: string }): string {
  return `
delivery: { lease: ${options.lease ?? "30s"} }
endpoints:
  - { id: a, url: "https://example.com/a", secrets: ["${SECRET}"], policy: { timeout: ${options.timeout ?? "10s"} } }
sinks:
${options.sinks.map((id) => `  - { id: ${id}, type: fake, config: { queue: ${id} } }`).join("\n")}
ingress:
  routes:
    - { id: r, path: /in/r, verifier: { type: api-key, secrets: ["route-key-0123456789abcdef"] }, defaultTargets: [${options.target}] }
`;
}

const load = (source: string): Promise<HookyardConfig> =>
  loadConfigText(source, "hookyard.yaml", { env: {}, resolveConnector: resolveFakeConnector });

async function applierFor(running: HookyardConfig) {
  const store = createEmbeddedStore();
  await store.syncEndpoints(running.endpoints);
  const registry = createEndpointRegistry({
    configEndpoints: running.endpoints,
    configSubscriptions: running.subscriptions,
    configEventTypes: running.eventTypes,
    storage: createMemoryAdminStorage(),
    store,
  });
  await registry.load();
  let served: readonly IngressRoute[] = running.ingress.routes;
  const ingress: IngressRoutes = {
    replace: (routes) => {
      served = routes;
    },
    routes: () => served,
  };
  const apply = createApplyConfig({
    registry,
    store,
    runningSinks: new Set(running.sinks.map((sink) => sink.id)),
    runningLeaseMs: running.delivery.leaseMs,
    ingress: () => ingress,
  });
  return {
    apply: (next: HookyardConfig) => apply(next, configChanges(running, next, { ingressServed: true }).live),
    served: () => served,
    registry,
  };
}

describe("applying a reloaded config", () => {
  it("routes inbound webhooks to a running sink live, and refuses a sink that only a restart starts", async () => {
    const running = await load(text({ sinks: ["queue-1"], target: "a" }));
    const applier = await applierFor(running);
    const toSink = await load(text({ sinks: ["queue-1"], target: "queue-1" }));
    assert.deepEqual(await applier.apply(toSink), []);
    assert.deepEqual(applier.served()[0]?.defaultTargets, ["queue-1"]);

    const toNewSink = await load(text({ sinks: ["queue-1", "queue-2"], target: "queue-2" }));
    assert.deepEqual(await applier.apply(toNewSink), [
      {
        path: "ingress.routes[0]",
        expected: "targets this instance runs (a new sink starts only with a restart)",
        found: 'sink "queue-2", not running yet',
      },
    ]);
    assert.deepEqual(applier.served()[0]?.defaultTargets, ["queue-1"], "nothing changed");
  });

  it("refuses an endpoint timeout the running lease does not cover, even when the file raises the lease", async () => {
    const running = await load(text({ sinks: [], target: "a" }));
    const applier = await applierFor(running);
    const longer = await load(text({ sinks: [], target: "a", timeout: "45s", lease: "60s" }));
    assert.deepEqual(await applier.apply(longer), [
      {
        path: "endpoints[0].policy.timeout",
        expected: "a timeout shorter than the running delivery.lease (30s; a new lease applies only after a restart)",
        found: "45s",
      },
    ]);
    assert.equal(applier.registry.get("a")?.policy.timeoutMs, 10_000, "the running endpoint stays");
    const within = await load(text({ sinks: [], target: "a", timeout: "20s", lease: "60s" }));
    assert.deepEqual(await applier.apply(within), []);
    assert.equal(applier.registry.get("a")?.policy.timeoutMs, 20_000);
  });
});
