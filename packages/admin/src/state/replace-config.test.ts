import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ENDPOINT_POLICY, type Endpoint } from "@hookyard/core";
import { createEmbeddedStore } from "@hookyard/scheduler";
import type { EventType } from "../catalogue/event-type.js";
import { createEndpointRegistry } from "./endpoint-registry.js";
import { createMemoryAdminStorage } from "./memory-admin-storage.js";

const endpoint = (id: string): Endpoint => ({
  id,
  owner: "acme",
  url: `https://example.com/${id}`,
  secrets: [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
  headers: {},
  enabled: true,
  policy: DEFAULT_ENDPOINT_POLICY,
});
const type = (name: string): EventType => ({ name, description: name, deprecated: false, validation: "warn" });

async function registryWithApiRecords() {
  const store = createEmbeddedStore();
  const registry = createEndpointRegistry({
    configEndpoints: [endpoint("cfg-a"), endpoint("cfg-b")],
    configSubscriptions: [{ id: "cfg-sub", endpoints: ["cfg-a"], types: ["order.*"], enabled: true }],
    configEventTypes: [type("order.created")],
    storage: createMemoryAdminStorage(),
    store,
  });
  await registry.load();
  const at = 1;
  assert.ok(
    await registry.createEndpoint({ endpoint: endpoint("api-a"), eventTypes: [], createdAt: at, updatedAt: at }),
  );
  const sub = { id: "api-sub", endpoints: ["cfg-b", "api-a"], types: ["invoice.*"], enabled: true };
  assert.ok(await registry.putSubscription({ ...sub, createdAt: at, updatedAt: at }, true));
  assert.ok(await registry.putEventType({ ...type("invoice.paid"), createdAt: at, updatedAt: at }, true));
  return registry;
}

describe("endpoint registry: a reloaded config replaces the file's records, never the API's", () => {
  it("swaps config endpoints, subscriptions and event types; API records stay and keep routing", async () => {
    const registry = await registryWithApiRecords();
    let changes = 0;
    registry.onChange(() => {
      changes += 1;
    });
    const conflicts = await registry.replaceConfig({
      endpoints: [endpoint("cfg-b"), endpoint("cfg-c")],
      subscriptions: [{ id: "cfg-sub-2", endpoints: ["cfg-c"], types: ["order.*"], enabled: true }],
      eventTypes: [type("order.shipped")],
    });
    assert.deepEqual(conflicts, []);
    assert.equal(changes, 1, "listeners (the router) hear of it");
    assert.deepEqual(
      registry.list().map((m) => `${m.source}:${m.endpoint.id}`),
      ["config:cfg-b", "config:cfg-c", "api:api-a"],
    );
    assert.deepEqual(
      registry.subscriptions().map((s) => `${s.source}:${s.id}`),
      ["config:cfg-sub-2", "api:api-sub"],
    );
    assert.deepEqual(
      registry.eventTypes().map((t) => `${t.source}:${t.name}`),
      ["api:invoice.paid", "config:order.shipped"],
    );
    assert.equal(registry.get("cfg-a"), undefined, "a removed config endpoint is gone");
    assert.equal(
      await registry.createEndpoint({ endpoint: endpoint("cfg-c"), eventTypes: [], createdAt: 2, updatedAt: 2 }),
      false,
    );
  });

  it("refuses, changing nothing, a file taking over API ids or dropping an endpoint an API subscription names", async () => {
    const registry = await registryWithApiRecords();
    const next = {
      endpoints: [endpoint("cfg-a"), endpoint("api-a")],
      subscriptions: [{ id: "api-sub", endpoints: ["cfg-a"], types: ["x"], enabled: true }],
      eventTypes: [type("invoice.paid")],
    };
    const conflicts = await registry.replaceConfig(next);
    assert.deepEqual(conflicts, [
      {
        path: "endpoints[1].id",
        expected: "an id not used by the admin API",
        found: '"api-a", an endpoint created through the admin API',
      },
      {
        path: "subscriptions[0].id",
        expected: "an id not used by the admin API",
        found: '"api-sub", a subscription created through the admin API',
      },
      {
        path: "eventTypes[0].name",
        expected: "a name not used by the admin API",
        found: '"invoice.paid", an event type created through the admin API',
      },
      {
        path: "endpoints",
        expected: 'endpoint "cfg-b", which admin API subscription "api-sub" names',
        found: "none (change or delete that subscription first)",
      },
    ]);
    assert.deepEqual(registry.checkConfig(next), conflicts);
    assert.deepEqual(
      registry.list().map((m) => m.endpoint.id),
      ["cfg-a", "cfg-b", "api-a"],
      "nothing changed",
    );
  });
});
