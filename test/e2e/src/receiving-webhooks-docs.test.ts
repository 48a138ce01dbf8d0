import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Gateway } from "@hookyard/runtime";
import { uniqueName, waitFor } from "@hookyard/test-brokers";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { freePort, repoRoot } from "./hookyard-process.js";

const exec = promisify(execFile);
const LANGUAGES = ["node", "python", "go"] as const;
type Language = (typeof LANGUAGES)[number];

/** The example marked `<!-- receiver: <language> -->` in docs/receiving-webhooks.md, exactly as the page shows it. */
function exampleOf(page: string, language: Language): string {
  const match = new RegExp(`<!-- receiver: ${language} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(page);
  assert.ok(match?.[1], `docs/receiving-webhooks.md has a ${language} receiver example`);
  return `${match[1]}\n`;
}

interface Receiver {
  readonly url: string;
  readonly stdout: () => string;
  readonly child: ChildProcess;
}

/** Writes the example to a file and runs it as its reader would (node / python3 / a built Go binary). */
async function startReceiver(language: Language, source: string, dir: string): Promise<Receiver> {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), WEBHOOK_SECRET: TEST_SECRET, GOTOOLCHAIN: "local" };
  let command: string;
  let args: string[];
  if (language === "node") {
    writeFileSync(join(dir, "receiver.mjs"), source);
    [command, args] = [process.execPath, [join(dir, "receiver.mjs")]];
  } else if (language === "python") {
    writeFileSync(join(dir, "receiver.py"), source);
    [command, args] = ["python3", [join(dir, "receiver.py")]];
  } else {
    writeFileSync(join(dir, "main.go"), source);
    await exec("go", ["build", "-o", join(dir, "receiver-go"), join(dir, "main.go")], { cwd: dir, env });
    [command, args] = [join(dir, "receiver-go"), []];
  }
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  // Any answer (401, 405, 501 to a GET) means it listens.
  await waitFor(`the ${language} receiver listening`, () => fetch(url).then(() => true), { timeoutMs: 20_000 });
  return { url, stdout: () => stdout, child };
}

function signed(body: string, timestamp: number, secret = TEST_SECRET): Record<string, string> {
  const id = uniqueName("msg");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${signature}`,
  };
}

/**
 * The verification examples of docs/receiving-webhooks.md, copied from the page and run with Node, Python 3 and
 * Go: each gets a real delivery from a gateway (signed, in the Standard Webhooks structure) and must print its
 * type and data; forged, stale and raw-body-tampered requests must get 401.
 */
describe("docs/receiving-webhooks.md: the receiver examples verify and parse real deliveries", () => {
  const page = readFileSync(join(repoRoot, "docs", "receiving-webhooks.md"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "hookyard-receivers-"));
  const receivers = new Map<Language, Receiver>();
  let gateway: Gateway;

  before(async () => {
    for (const language of LANGUAGES) {
      receivers.set(language, await startReceiver(language, exampleOf(page, language), dir));
    }
    const endpoints = LANGUAGES.map((language) => ({
      id: language,
      url: `${receivers.get(language)?.url}/webhooks`,
      secrets: [TEST_SECRET],
    }));
    gateway = await startTestGateway({
      ...ingestConfig("http://127.0.0.1:1/unused"),
      endpoints,
      subscriptions: [{ id: "all", endpoints: [...LANGUAGES], types: ["invoice.*"] }],
    });
  });
  after(async () => {
    await gateway?.stop();
    for (const receiver of receivers.values()) receiver.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each example prints the type and data of a delivery", async () => {
    const response = await fetch(`${gateway.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ id: uniqueName("evt"), type: "invoice.paid", data: { invoiceId: "in_42", amount: 1200 } }),
    });
    assert.equal(response.status, 202);
    for (const language of LANGUAGES) {
      const receiver = receivers.get(language);
      await waitFor(`the ${language} receiver's output`, () =>
        receiver?.stdout().includes('invoice.paid {"invoiceId":"in_42","amount":1200}\n') ? true : undefined,
      );
    }
  });

  for (const language of LANGUAGES) {
    it(`the ${language} example refuses a wrong secret, a stale timestamp and a changed body`, async () => {
      const url = `${receivers.get(language)?.url}/webhooks`;
      const body = '{"type":"invoice.paid","timestamp":"2026-01-02T03:04:05Z","data":{"n":1}}';
      const now = Math.floor(Date.now() / 1000);
      const post = (headers: Record<string, string>, sent = body) =>
        fetch(url, { method: "POST", headers, body: sent });
      assert.equal((await post(signed(body, now))).status, 204, "a good request passes");
      assert.equal((await post(signed(body, now, "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="))).status, 401);
      assert.equal((await post(signed(body, now - 3600))).status, 401, "an hour-old timestamp");
      assert.equal((await post(signed(body, now), body.replace('"n":1', '"n":2'))).status, 401, "a changed body");
    });
  }
});
