import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { ConfigValidationError } from "./problems.js";
import { redactConfig } from "./redact-config.js";

const options = { env: { ADMIN_KEY: "admin-key-0123456789" }, resolveConnector: resolveFakeConnector };

describe("config: admin section", () => {
  it("is off by default with safe defaults", async () => {
    const config = await loadConfigText("{}", "admin.yaml", options);
    assert.equal(config.admin.enabled, false);
    assert.deepEqual(config.admin.apiKeys, []);
    assert.equal(config.admin.portal.signingKey, undefined);
    assert.equal(config.admin.portal.tokenTtlMs, 3_600_000);
    assert.deepEqual(config.admin.portal.frameAncestors, []);
    assert.equal(config.admin.secretGraceMs, 86_400_000);
  });

  it("reads keys, the portal signing key, TTL and frame-ancestors, and redacts the secrets", async () => {
    const text = `
admin:
  enabled: true
  apiKeys: ["\${ADMIN_KEY}"]
  portal: { signingKey: "0123456789abcdef0123456789abcdef", tokenTtl: 15m, frameAncestors: ["'self'", "https://app.example.com"] }
  secretRotationGrace: 2h
`;
    const config = await loadConfigText(text, "admin.yaml", options);
    assert.deepEqual(config.admin.apiKeys, ["admin-key-0123456789"]);
    assert.equal(config.admin.portal.signingKey, "0123456789abcdef0123456789abcdef");
    assert.equal(config.admin.portal.tokenTtlMs, 900_000);
    assert.deepEqual(config.admin.portal.frameAncestors, ["'self'", "https://app.example.com"]);
    assert.equal(config.admin.secretGraceMs, 7_200_000);
    const shown = JSON.stringify(redactConfig(config));
    assert.ok(!shown.includes("admin-key-0123456789") && !shown.includes("0123456789abcdef0123456789abcdef"));
  });

  it("refuses admin.enabled without API keys", async () => {
    await assert.rejects(loadConfigText("admin: { enabled: true }\n", "admin.yaml", options), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      assert.deepEqual(
        error.problems.map((p) => p.path),
        ["admin.apiKeys"],
      );
      return true;
    });
  });

  it("names a short signing key and a bad frame ancestor", async () => {
    const text = `
admin:
  portal: { signingKey: short, frameAncestors: ["javascript:alert(1)"] }
`;
    const error = await loadConfigText(text, "admin.yaml", options).then(
      () => assert.fail("expected a config error"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigValidationError);
    const paths = error.problems.map((p) => p.path).join(" ");
    assert.match(paths, /admin\.portal\.signingKey/);
    assert.match(paths, /admin\.portal\.frameAncestors/);
  });
});
