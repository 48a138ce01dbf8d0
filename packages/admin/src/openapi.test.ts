import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { type AdminHarness, openAdminHarness } from "./testing/admin-harness.js";

type Operation = { operationId?: string; tags?: string[] };
type Document = { paths: Record<string, Record<string, Operation>> };
const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

describe("OpenAPI document", () => {
  let h: AdminHarness;
  let document: Document;
  before(async () => {
    h = await openAdminHarness("embedded");
    document = (await h.request("GET", "/admin/v1/openapi.json", { key: "" })).body as unknown as Document;
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

  it("gives every operation a unique operationId and a declared tag, and includes the ingest API", () => {
    const declared = new Set(((document as unknown as { tags: { name: string }[] }).tags ?? []).map((t) => t.name));
    const ids: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!METHODS.has(method)) continue;
        assert.match(operation.operationId ?? "", /^[a-z][A-Za-z]+$/, `${method} ${path} has an operationId`);
        assert.ok((operation.tags ?? []).length > 0, `${method} ${path} has a tag`);
        for (const tag of operation.tags ?? []) assert.ok(declared.has(tag), `tag ${tag} is declared`);
        ids.push(operation.operationId ?? "");
      }
    }
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
    assert.equal(document.paths["/v1/events"]?.post?.operationId, "publishEvent");
    assert.equal(document.paths["/v1/events/batch"]?.post?.operationId, "publishEvents");
  });

  it("documents exactly the admin routes the plugin registers (both ways)", async () => {
    const routes: string[] = [];
    const fastify = await import("fastify");
    const app = fastify.default();
    app.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) routes.push(`${method.toLowerCase()} ${route.url}`);
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
    await app.close();
    const registered = routes
      .filter((r) => r.includes(" /admin/v1/") && !r.startsWith("head "))
      .map((r) => r.replace(/:([A-Za-z]+)/g, "{$1}"))
      .sort();
    const documented = Object.entries(document.paths)
      .filter(([path]) => path.startsWith("/admin/v1/"))
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((m) => METHODS.has(m))
          .map((m) => `${m} ${path}`),
      )
      .sort();
    assert.ok(registered.length >= 30, `found ${registered.length} routes`);
    assert.deepEqual(registered, documented);
  });
});
