import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fakeConnector } from "./fake-connector.fixture.js";
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
