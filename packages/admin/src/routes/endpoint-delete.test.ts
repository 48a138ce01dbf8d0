import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AdminHarness, openAdminHarness, type StoreKind, testEndpoint } from "../testing/admin-harness.js";

for (const kind of ["redis", "embedded"] as StoreKind[]) {
  describe(`endpoint delete, portal scopes and the SSRF check (${kind} store)`, () => {
    let h: AdminHarness;
    let manage: string;
    let readOnly: string;
    before(async () => {
      h = await openAdminHarness(kind, { configEndpoints: [testEndpoint("cfg-a", "acme")] });
      const token = async (scope?: string) =>
        String(
          (await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "acme", ...(scope ? { scope } : {}) } }))
            .body.token,
        );
      manage = await token();
      readOnly = await token("read");
    });
    after(() => h.close());

    it("refuses to delete while deliveries are queued, then with ?force=true deletes and hides the endpoint", async () => {
      const created = await h.request("POST", "/admin/v1/endpoints", {
        key: manage,
        body: { id: `del-${kind}`, url: "https://hooks.example.com/del", eventTypes: ["order.*"] },
      });
      assert.equal(created.status, 201);
      const id = `del-${kind}`;
      await h.request("POST", `/admin/v1/endpoints/${id}/disable`, { key: manage });
      assert.equal((await h.request("POST", `/admin/v1/endpoints/${id}/test`, { key: manage })).status, 202);

      const busy = await h.request("DELETE", `/admin/v1/endpoints/${id}`, { key: manage });
      assert.equal(busy.status, 409);
      assert.equal((busy.body.error as { code: string }).code, "ENDPOINT_BUSY");
      assert.deepEqual((busy.body.error as { details: unknown }).details, { queued: 1, inFlight: 0 });

      const deleted = await h.request("DELETE", `/admin/v1/endpoints/${id}?force=true`, { key: manage });
      assert.equal(deleted.status, 200);
      assert.equal(deleted.body.deadLettered, 1);
      assert.equal((await h.request("GET", `/admin/v1/endpoints/${id}`)).status, 404);
      assert.ok(!(await h.request("GET", "/admin/v1/endpoints")).body.data?.some((e) => e.id === id));
      assert.ok(!h.registry.subscriptions().some((s) => s.endpoints.includes(id)), "routes nothing to it");
      assert.equal(h.registry.isDeleted(id), true);
      // Its queued delivery is due again (for the worker to dead-letter), not parked.
      assert.equal((await h.store.getEndpointState(id, Date.now())).enabled, true);
      const again = await h.request("POST", "/admin/v1/endpoints", {
        body: { id, owner: "acme", url: "https://x.example" },
      });
      assert.equal(again.status, 409);
      assert.match(String((again.body.error as { message: string }).message), /ids are not reused/);
      const audit = (await h.request("GET", "/admin/v1/audit?limit=5")).body.data ?? [];
      const entry = audit.find((e) => e.action === "endpoint.delete");
      assert.deepEqual(entry?.actor, { kind: "portal", id: "acme" });
      assert.deepEqual(entry?.after, { ...(deleted.body as object), force: true });
    });

    it("deletes an idle endpoint without force; config endpoints are read-only; others' are invisible", async () => {
      await h.request("POST", "/admin/v1/endpoints", {
        body: { id: `idle-${kind}`, owner: "acme", url: "https://x.example" },
      });
      assert.equal((await h.request("DELETE", `/admin/v1/endpoints/idle-${kind}`)).status, 200);
      assert.equal((await h.request("DELETE", "/admin/v1/endpoints/cfg-a")).status, 409);
      await h.request("POST", "/admin/v1/endpoints", {
        body: { id: `globex-${kind}`, owner: "globex", url: "https://x.example" },
      });
      assert.equal((await h.request("DELETE", `/admin/v1/endpoints/globex-${kind}`, { key: manage })).status, 404);
    });

    it("lets a read-only portal token read but change nothing", async () => {
      assert.equal((await h.request("GET", "/admin/v1/endpoints", { key: readOnly })).status, 200);
      assert.equal((await h.request("GET", "/admin/v1/me", { key: readOnly })).body.scope, "read");
      for (const [method, path] of [
        ["POST", "/admin/v1/endpoints"],
        ["PATCH", "/admin/v1/endpoints/cfg-a"],
        ["DELETE", "/admin/v1/endpoints/cfg-a"],
        ["POST", "/admin/v1/endpoints/cfg-a/rotate-secret"],
        ["POST", "/admin/v1/endpoints/cfg-a/test"],
        ["POST", "/admin/v1/subscriptions"],
      ] as const) {
        const refused = await h.request(method, path, { key: readOnly, body: { url: "https://x.example" } });
        assert.equal(refused.status, 403, `${method} ${path}`);
        assert.equal((refused.body.error as { message: string }).message, "this portal link is read-only");
      }
      assert.equal(
        (await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "acme", scope: "admin" } })).status,
        400,
      );
    });

    it("checks endpoint URLs against the SSRF policy before saving them", async () => {
      const cases: [string, RegExp][] = [
        ["http://10.1.2.3/h", /10\.1\.2\.3 is a private address, refused by the egress policy/],
        ["http://169.254.169.254/latest", /link-local address/],
        ["https://db.internal.example/h", /db\.internal\.example \(10\.0\.0\.5\) is a private address/],
        ["https://nowhere.invalid/h", /does not resolve/],
      ];
      for (const [url, message] of cases) {
        const refused = await h.request("POST", "/admin/v1/endpoints", { key: manage, body: { url } });
        assert.equal(refused.status, 400, url);
        assert.match(String((refused.body.error as { message: string }).message), message);
      }
      // Allowed by egress.allowCidrs (the harness allows loopback), and the same check on a URL change.
      assert.equal(
        (
          await h.request("POST", "/admin/v1/endpoints", {
            key: manage,
            body: { id: `ok-${kind}`, url: "http://127.0.0.1:9/h" },
          })
        ).status,
        201,
      );
      const changed = await h.request("PATCH", `/admin/v1/endpoints/ok-${kind}`, {
        key: manage,
        body: { url: "http://[fd00::1]/h" },
      });
      assert.equal(changed.status, 400);
    });
  });
}
