import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PROVIDER_EXAMPLES, VERIFIERS } from "@hookyard/ingress";
import { fakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { renderConfigReference, renderConnectorReference } from "./render-reference.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

describe("renderConfigReference", () => {
  const text = renderConfigReference([fakeConnector]);

  it("documents every runtime key with its format, default and doc", () => {
    assert.match(
      text,
      /\| `server\.port` \| a port number \(0-65535\) \| `8080` \| {2}\| Port of the HTTP server\. \|/,
    );
    assert.match(text, /\| `egress\.timeout` \| duration .* \| `15s` \|/);
    assert.match(text, /\| `ingest\.maxBodyBytes` \| size .* \| `1mb` \|/);
    assert.match(
      text,
      /\| `endpoints\[\]\.policy\.retry\.schedule` \| .* \| `\[0, 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 1d\]` \|/,
    );
    assert.match(text, /\| `endpoints\[\]\.url` \| an http\(s\) URL \| required \|/);
  });

  it("marks secrets", () => {
    assert.match(text, /\| `endpoints\[\]\.secrets` \| .* \| secret \|/);
    assert.match(text, /\| `redis\.url` \| .* \| unset \| secret \|/);
  });

  it("includes each connector's source and sink keys", () => {
    const section = renderConnectorReference(fakeConnector);
    assert.ok(text.includes(section));
    assert.match(section, /Source `config`/);
    assert.match(section, /\| `password` \| a string \| `""` \| secret \| Broker password\. \|/);
    assert.match(section, /\| `pollInterval` \| duration .* \| `1s` \|/);
    assert.match(section, /\| `batch\.size` \| a whole number ≥ 0 \| `10` \|/);
    assert.match(section, /Sink `config`/);
  });

  it("documents every ingress route and rule key, each verifier's keys, and an example route per provider", () => {
    assert.match(text, /\| `ingress\.routes\[\]\.limits\.concurrency` \| a whole number ≥ 1 \| `100` \|/);
    assert.match(text, /\| `ingress\.routes\[\]\.limits\.maxBodyBytes` \| size .* \| `1mb` \|/);
    assert.match(text, /\| `ingress\.routes\[\]\.rules\[\]\.targets` \|/);
    assert.match(text, /\| `server\.trustProxy` \| a list of CIDR ranges .* \| `\[\]` \|/);
    for (const type of Object.keys(VERIFIERS)) {
      assert.match(text, new RegExp(`#### ${type}\\n`), `a section for ${type}`);
      assert.match(text, new RegExp(`type: ${type}\\n`), `an example route for ${type}`);
    }
  });

  it("every provider example loads through the real config loader", async () => {
    const env: Record<string, string> = {
      ACME_WEBHOOK_SECRET: `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`,
      STRIPE_WEBHOOK_SECRET: "whsec_0123456789abcdef",
      GITHUB_WEBHOOK_SECRET: "github-secret-0123",
      SHOPIFY_CLIENT_SECRET: "shopify-secret-0123",
      SLACK_SIGNING_SECRET: "slack-secret-0123",
      TWILIO_AUTH_TOKEN: "twilio-token-0123456789",
      PARTNER_SECRET: "partner-secret-0123",
      CRM_WEBHOOK_PASSWORD: "crm-password-0123",
      ALERTS_KEY: "alerts-key-0123456789",
    };
    for (const [type, example] of Object.entries(PROVIDER_EXAMPLES)) {
      const targets = new Set(
        [...example.matchAll(/[tT]argets: \[([^\]]+)\]/g)].flatMap((m) => (m[1] ?? "").split(",").map((t) => t.trim())),
      );
      const endpoints = [...targets].map(
        (id) =>
          `  - { id: ${id}, url: "http://10.0.0.1/${id}", secrets: [${JSON.stringify(env.ACME_WEBHOOK_SECRET)}] }`,
      );
      const routes = example
        .split("\n")
        .map((line) => `    ${line}`)
        .join("\n");
      const text = `endpoints:\n${endpoints.join("\n")}\ningress:\n  routes:\n${routes}\n`;
      const config = await loadConfigText(text, `${type}.yaml`, { env, resolveConnector: async () => fakeConnector });
      assert.equal(config.ingress.routes[0]?.verifierType, type, `${type} example loads`);
    }
  });

  it("docs/config.md is up to date (npm run docs)", async () => {
    const run = promisify(execFile);
    try {
      await run(process.execPath, ["scripts/generate-docs.mjs", "--check"], { cwd: root });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      assert.fail(stderr || String(error));
    }
  });
});
