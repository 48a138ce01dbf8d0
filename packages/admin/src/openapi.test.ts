import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { type AdminHarness, openAdminHarness } from "./testing/admin-harness.js";

describe("admin OpenAPI document", () => {
  let h: AdminHarness;
  const routes: { method: string; url: string }[] = [];
  before(async () => {
    h = await openAdminHarness("embedded");
  });
  after(() => h.close());

  it("is served without credentials and is a valid OpenAPI 3.1 document", async () => {
    const response = await h.request("GET", "/admin/v1/openapi.json", { key: "" });
    assert.equal(response.status, 200);
    assert.equal(response.body.openapi, "3.1.0");
    const validator = new Validator();
    const result = await validator.validate(response.body);
    assert.equal(validator.version, "3.1");
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
  });

  it("describes every admin route the plugin registers", async () => {
    const document = (await h.request("GET", "/admin/v1/openapi.json", { key: "" })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const fastify = await import("fastify");
    const app = fastify.default();
    app.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
    });
    const { registerAdminRoutes } = await import("./register-admin-routes.js");
    await registerAdminRoutes(app, {
      store: h.store,
      history: h.history,
      registry: h.registry,
      storage: h.storage,
      settings: h.settings,
      defaultPolicy: (await import("@hookyard/core")).DEFAULT_ENDPOINT_POLICY,
      rejectedOrigins: () => [],
    });
    await app.ready();
    const admin = routes.filter((r) => r.url.startsWith("/admin/v1/") && r.method !== "head");
    assert.ok(admin.length >= 25, `found ${admin.length} routes`);
    for (const route of admin) {
      const path = route.url.slice("/admin/v1".length).replace(/:([A-Za-z]+)/g, "{$1}");
      assert.ok(document.paths[path]?.[route.method], `${route.method.toUpperCase()} ${route.url} is documented`);
    }
    await app.close();
  });
});
