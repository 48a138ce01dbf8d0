import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freePort, runHookyard } from "./hookyard-process.js";

async function run(args: string[], env: Record<string, string> = {}) {
  const hookyard = runHookyard(args, env);
  const { code } = await hookyard.exited;
  return { code, stdout: hookyard.stdout(), stderr: hookyard.stderr() };
}

describe("the hookyard CLI", () => {
  it("--version and --help exit 0; no command or an unknown one exits 64 with the usage", async () => {
    const version = await run(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^hookyard \d+\.\d+\.\d+/);
    const help = await run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /hookyard start -c FILE/);
    assert.equal((await run([])).code, 64);
    const unknown = await run(["frobnicate"]);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal((await run(["validate"])).code, 64, "validate without -c is a usage error");
  });

  it("validate accepts the example config and prints it with secrets redacted", async () => {
    const result = await run(["validate", "-c", "config/hookyard.example.yaml"], {
      DEMO_WEBHOOK_SECRET: "whsec_c3VwZXItc2VjcmV0LXZhbHVlLTEyMzQ1Ng==",
      HOOKYARD_INGEST_KEY: "ingest-key-that-must-not-show",
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /config\/hookyard.example.yaml: valid/);
    assert.match(result.stdout, /\[redacted\]/);
    assert.doesNotMatch(result.stdout, /c3VwZXItc2VjcmV0|ingest-key-that-must-not-show/);
  });

  it("validate reports every problem of a broken config at once with file and key path, exit 78", async () => {
    const result = await run(["validate", "-c", "test/e2e/fixtures/broken.yaml"]);
    assert.equal(result.code, 78, result.stderr);
    const expected = [
      /broken\.yaml: server\.port: /,
      /broken\.yaml: ingest\.apiKeys.*HOOKYARD_TEST_MISSING_KEY/,
      /broken\.yaml: endpoints\[0\]\.url: expected an http\(s\) URL/,
      /broken\.yaml: endpoints\[0\]\.colour/,
      /broken\.yaml: endpoints\[1\]\.id: .*duplicate|broken\.yaml: endpoints\[1\]\.id/,
      /broken\.yaml: subscriptions\[0\]\.endpoints\[0\]: .*acme-orders/,
      /broken\.yaml: sources\[0\]\.type: .*no-such-connector-package-xyz/,
    ];
    for (const pattern of expected) assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /c2VjcmV0LXNlY3JldC1zZWNyZXQ/, "secrets are never echoed");
  });

  it("describe prints the config reference generated from the schemas", async () => {
    const result = await run(["describe"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /endpoints/);
    assert.match(result.stdout, /\| `server\.port` \|/);
    const unknown = await run(["describe", "no-such-connector-package-xyz"]);
    assert.equal(unknown.code, 64, "an unknown connector name is a usage error");
    assert.match(unknown.stderr, /"no-such-connector-package-xyz" is not built in \(kafka, rabbitmq, pubsub, sqs\)/);
  });

  it("send publishes a test event through a running instance, and fails with 69 when none answers", async () => {
    const port = await freePort();
    const receiverPort = await freePort();
    const hookyard = runHookyard(["start", "--demo", "-c", "config/hookyard.example.yaml"], {
      HOOKYARD_PORT: String(port),
      DEMO_RECEIVER_PORT: String(receiverPort),
    });
    try {
      await hookyard.waitForLine(/hookyard started/);
      const url = `http://127.0.0.1:${port}`;
      const sent = await run([
        "send",
        "--url",
        url,
        "--api-key",
        "dev-ingest-key",
        "--type",
        "order.created",
        "--id",
        "evt-cli-1",
        "--data",
        '{"n":1}',
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.deepEqual(JSON.parse(sent.stdout), { id: "evt-cli-1", deliveries: 1, duplicate: false });
      await hookyard.waitForLine(/"webhookId":"evt-cli-1".*demo receiver got a webhook/);
      const refused = await run(["send", "--url", url, "--api-key", "wrong-key-123", "--type", "t"]);
      assert.equal(refused.code, 69);
      assert.match(refused.stderr, /401/);
      const badData = await run(["send", "--url", url, "--type", "t", "--data", "{not json"]);
      assert.equal(badData.code, 64);
    } finally {
      hookyard.kill("SIGTERM");
      await hookyard.exited;
    }
    const nobody = await run(["send", "--url", `http://127.0.0.1:${await freePort()}`, "--type", "t"]);
    assert.equal(nobody.code, 69);
    assert.match(nobody.stderr, /cannot reach/);
  });
});
