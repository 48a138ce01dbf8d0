import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createEndpointRegistry,
  createMemoryAdminStorage,
  openApiDocument,
  registerAdminRoutes,
} from "@hookyard/admin";
import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createMemoryHistoryStore } from "@hookyard/history";
import { createEmbeddedStore } from "@hookyard/scheduler";
import Fastify from "fastify";
import { createMetrics } from "../metrics.js";
import { registerIngestRoutes } from "./ingest-routes.js";

const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

describe("the OpenAPI document and the server's routes", () => {
  it("match both ways: every ingest and admin route is documented, every documented operation is served", async () => {
    const app = Fastify();
    const routes: string[] = [];
    app.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) routes.push(`${method.toLowerCase()} ${route.url}`);
    });
    const store = createEmbeddedStore();
    const storage = createMemoryAdminStorage();
    const registry = createEndpointRegistry({ configEndpoints: [], configSubscriptions: [], storage, store });
    await registerIngestRoutes(app, {
      apiKeys: ["ingest-key-0123456789"],
      maxBodyBytes: 1024,
      maxBatchEvents: 10,
      maxJsonDepth: 64,
      accept: async (envelope) => ({ id: envelope.id, deliveries: 0, duplicate: false }),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    await registerAdminRoutes(app, {
      store,
      history: createMemoryHistoryStore(),
      registry,
      storage,
      settings: { apiKeys: ["admin-key-0123456789"], portalTokenTtlMs: 60_000, frameAncestors: [] },
      defaultPolicy: DEFAULT_ENDPOINT_POLICY,
      rejectedOrigins: () => [],
    });
    await app.ready();
    await app.close();
    await store.close();

    // The dashboard's static files are not API operations.
    const served = routes
      .filter((r) => !r.startsWith("head ") && !r.includes(" /dashboard"))
      .map((r) => r.replace(/:([A-Za-z]+)/g, "{$1}"))
      .sort();
    const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((m) => METHODS.has(m))
          .map((m) => `${m} ${path}`),
      )
      .sort();
    assert.ok(served.includes("post /v1/events") && served.includes("post /v1/events/batch"));
    assert.deepEqual(served, documented);
  });
});
