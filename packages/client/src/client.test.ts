import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import {
  builtInConnectors,
  createConnectorRegistry,
  createLogger,
  type Gateway,
  loadConfigText,
  startGateway,
} from "@hookyard/runtime";
import { createHookyardClient } from "./index.js";

const ADMIN_KEY = "client-test-admin-key-0123456789";
const INGEST_KEY = "client-test-ingest-key-0123456789";

describe("@hookyard/client against a running server", () => {
  let gateway: Gateway;
  before(async () => {
    const connectors = createConnectorRegistry(builtInConnectors);
    const config = await loadConfigText(
      JSON.stringify({
        server: { host: "127.0.0.1", port: 0 },
        log: { level: "silent" },
        ingest: { enabled: true, apiKeys: [INGEST_KEY] },
        admin: {
          enabled: true,
          apiKeys: [ADMIN_KEY],
          portal: { signingKey: "client-test-portal-signing-key-0123456789" },
        },
        egress: { allowCidrs: ["127.0.0.0/8"] },
        eventTypes: [
          {
            name: "invoice.paid",
            schema: { type: "object", required: ["amount"] },
            example: { amount: 1 },
            validation: "reject",
          },
        ],
      }),
      "client-test.json",
      { env: {}, resolveConnector: (type) => connectors.resolve(type) },
    );
    gateway = await startGateway(config, {
      logger: createLogger({ level: "silent", format: "json" }),
      resolveConnector: (type) => connectors.resolve(type),
    });
  });
  after(() => gateway.stop());

  it("publishes events and gets typed results and typed errors", async () => {
    const ingest = createHookyardClient({ baseUrl: gateway.url, apiKey: INGEST_KEY });
    const ok = await ingest.POST("/v1/events", {
      body: { id: "evt_client_1", type: "invoice.paid", data: { amount: 5 } },
    });
    assert.equal(ok.response.status, 202);
    assert.deepEqual(ok.data, { id: "evt_client_1", deliveries: 0, duplicate: false });
    const refused = await ingest.POST("/v1/events", { body: { type: "invoice.paid", data: {} } });
    assert.equal(refused.response.status, 422);
    assert.equal(refused.error?.error.code, "PAYLOAD_INVALID");
    const batch = await ingest.POST("/v1/events/batch", { body: { events: [{ type: "a.b" }, { type: "c.d" }] } });
    assert.equal(batch.data?.events.length, 2);
  });

  it("manages endpoints, event types and portal tokens through the admin API", async () => {
    const admin = createHookyardClient({ baseUrl: `${gateway.url}/`, apiKey: ADMIN_KEY });
    const created = await admin.POST("/admin/v1/endpoints", {
      body: { id: "client-ep", owner: "acme", url: "http://127.0.0.1:9/hook", eventTypes: ["invoice.*"] },
    });
    assert.equal(created.response.status, 201);
    assert.match(created.data?.secret ?? "", /^whsec_/);
    const fetched = await admin.GET("/admin/v1/endpoints/{id}", { params: { path: { id: "client-ep" } } });
    assert.equal(fetched.data?.owner, "acme");
    const types = await admin.GET("/admin/v1/event-types");
    assert.deepEqual(
      types.data?.data.map((t) => t.name),
      ["invoice.paid"],
    );
    const token = await admin.POST("/admin/v1/portal-tokens", { body: { owner: "acme", scope: "read" } });
    const portal = createHookyardClient({ baseUrl: gateway.url, apiKey: token.data?.token ?? "" });
    assert.equal((await portal.GET("/admin/v1/me")).data?.scope, "read");
    const refused = await portal.DELETE("/admin/v1/endpoints/{id}", { params: { path: { id: "client-ep" } } });
    assert.equal(refused.response.status, 403);
    const deleted = await admin.DELETE("/admin/v1/endpoints/{id}", {
      params: { path: { id: "client-ep" }, query: { force: "true" } },
    });
    assert.equal(deleted.data?.id, "client-ep");
  });

  it("ships generated types that match the current OpenAPI document (run `npm run generate` when this fails)", async () => {
    const { generateSource, GENERATED_FILE } = await import(
      new URL("../scripts/generate-source.mjs", import.meta.url).href
    );
    assert.equal(await readFile(GENERATED_FILE, "utf8"), await generateSource());
  });
});
