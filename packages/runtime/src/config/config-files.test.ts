import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { builtInConnectors } from "../connectors/builtin-connectors.js";
import { createConnectorRegistry } from "../connectors/connector-registry.js";
import { loadConfig } from "./load-config.js";

const configDir = fileURLToPath(new URL("../../../../config/", import.meta.url));

/** The same resolution as `hookyard validate`: built-ins, then npm packages by name. */
const registry = createConnectorRegistry(builtInConnectors);
const resolveConnector = (type: string) => registry.resolve(type);

describe("config/", async () => {
  const files = (await readdir(configDir)).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();

  it("has the example config", () => {
    assert.ok(files.includes("hookyard.example.yaml"), files.join(", "));
  });

  for (const name of files) {
    it(`${name} is valid`, async () => {
      // No variables set: every ${VAR} in an example must have a default.
      const config = await loadConfig(join(configDir, name), { env: {}, resolveConnector });
      assert.ok(config.endpoints.length + config.sources.length + config.sinks.length > 0);
    });
  }

  it("the example runs on the embedded store with ingest on and a loopback receiver", async () => {
    const config = await loadConfig(join(configDir, "hookyard.example.yaml"), { env: {}, resolveConnector });
    assert.equal(config.redis.mode, "embedded");
    assert.equal(config.ingest.enabled, true);
    assert.deepEqual(config.ingest.apiKeys, ["dev-ingest-key"]);
    assert.deepEqual(config.egress.allowCidrs, ["127.0.0.0/8"]);
    assert.equal(config.endpoints[0]?.url, "http://127.0.0.1:8089/webhooks", "the default demo receiver port");
    assert.deepEqual(config.subscriptions[0]?.types, ["*"]);
  });
});
