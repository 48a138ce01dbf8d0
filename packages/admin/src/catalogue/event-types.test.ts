import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { type AdminHarness, openAdminHarness, type StoreKind } from "../testing/admin-harness.js";
import { createPayloadValidator } from "./payload-validator.js";

const schema = {
  type: "object",
  required: ["customer"],
  properties: {
    customer: { type: "object", properties: { email: { type: "string", format: "email" } } },
    items: { type: "array", items: { type: "object", properties: { "sku code": { type: "string" } } } },
  },
};

describe("payload validator", () => {
  const validator = createPayloadValidator((name) =>
    name === "order.created" ? { name, description: "", schema, deprecated: false, validation: "reject" } : undefined,
  );
  const check = (type: string, data: string) => validator.check(createEnvelope({ id: "e", source: "s", type, data }));

  it("names the failing path as JSONPath (nested, array index, odd keys) and checks formats", () => {
    assert.equal(check("order.created", '{"customer":{"email":"a@example.com"}}'), undefined);
    assert.equal(
      check("order.created", '{"customer":{"email":"nope"}}')?.message,
      '$.customer.email must match format "email"',
    );
    assert.equal(check("order.created", '{"customer":{},"items":[{"sku code":1}]}')?.path, '$.items[0]["sku code"]');
    assert.equal(check("order.created", "not json")?.message, "$ is not JSON (the type has a JSON Schema)");
    assert.equal(check("other.type", "not json"), undefined);
  });
});

for (const kind of ["redis", "embedded"] as StoreKind[]) {
  describe(`event types in the admin API (${kind} store)`, () => {
    let h: AdminHarness;
    let portal: string;
    before(async () => {
      h = await openAdminHarness(kind, {
        configEventTypes: [
          { name: "user.created", description: "From the file", deprecated: false, validation: "off" },
        ],
      });
      portal =
        ((await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "acme" } })).body.token as string) ?? "";
    });
    after(() => h.close());

    it("creates, reads, updates and deletes a type; every change is audited; config types are read-only", async () => {
      const created = await h.request("POST", "/admin/v1/event-types", {
        body: {
          name: "order.created",
          description: "An order",
          group: "Orders",
          schema,
          example: { customer: {} },
          validation: "reject",
        },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.source, "api");
      assert.equal((await h.request("POST", "/admin/v1/event-types", { body: { name: "order.created" } })).status, 409);
      const listed = await h.request("GET", "/admin/v1/event-types");
      assert.deepEqual(
        listed.body.data?.map((t) => t.name),
        ["order.created", "user.created"],
      );
      const updated = await h.request("PATCH", "/admin/v1/event-types/order.created", {
        body: { deprecated: true, example: null },
      });
      assert.equal(updated.body.deprecated, true);
      assert.equal(updated.body.example, undefined);
      assert.equal(updated.body.group, "Orders");
      assert.equal((await h.request("GET", "/admin/v1/event-types?includeDeprecated=false")).body.data?.length, 1);
      assert.equal(
        (await h.request("PATCH", "/admin/v1/event-types/user.created", { body: { deprecated: true } })).status,
        409,
      );
      assert.equal((await h.request("DELETE", "/admin/v1/event-types/order.created")).status, 204);
      assert.equal((await h.request("GET", "/admin/v1/event-types/order.created")).status, 404);
      const audit = (await h.request("GET", "/admin/v1/audit?limit=10")).body.data ?? [];
      assert.deepEqual(
        audit.map((entry) => entry.action).filter((action) => String(action).startsWith("event-type.")),
        ["event-type.delete", "event-type.update", "event-type.create"],
      );
    });

    it("refuses a broken schema naming its key, and an example that does not match it", async () => {
      const broken = await h.request("POST", "/admin/v1/event-types", {
        body: { name: "bad.one", schema: { type: "object", properties: { n: { type: "integr" } } } },
      });
      assert.equal(broken.status, 400);
      assert.match(
        String((broken.body.error as { message: string }).message),
        /^schema\/properties\/n\/type must be equal to one of the allowed values/,
      );
      const example = await h.request("POST", "/admin/v1/event-types", {
        body: {
          name: "bad.two",
          schema: { type: "object", properties: { n: { type: "integer" } } },
          example: { n: 1.5 },
        },
      });
      assert.equal(example.status, 400);
      assert.equal((example.body.error as { message: string }).message, "example/n must be integer");
      assert.equal((await h.request("POST", "/admin/v1/event-types", { body: { name: "glob.*" } })).status, 400);
    });

    it("lets a portal token read the catalogue but not change it", async () => {
      assert.equal((await h.request("GET", "/admin/v1/event-types", { key: portal })).status, 200);
      assert.equal((await h.request("GET", "/admin/v1/event-types/user.created", { key: portal })).status, 200);
      assert.equal(
        (await h.request("POST", "/admin/v1/event-types", { key: portal, body: { name: "x.y" } })).status,
        403,
      );
      assert.equal((await h.request("DELETE", "/admin/v1/event-types/user.created", { key: portal })).status, 403);
    });
  });
}
