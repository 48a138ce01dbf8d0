import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { writeConfigFile } from "./config-file.js";
import { freePort, type HookyardProcess, runHookyard } from "./hookyard-process.js";

const ADMIN_KEY = "operator-admin-key-0123456789abcdef";
const INGEST_KEY = "operator-ingest-key-0123456789abcdef";
const HOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, unknown>>;
}

/** Every admin route of the OpenAPI document, with its path parameters filled in, plus the dashboard's pages. */
function adminRequests(document: OpenApiDocument): { method: string; path: string }[] {
  const methods = ["get", "post", "put", "patch", "delete"];
  const fromDocument = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => methods.includes(method))
      .map((method) => ({ method: method.toUpperCase(), path: `/admin/v1${path.replace(/\{[^}]+\}/g, "x-1")}` })),
  );
  const pages = ["/dashboard", "/dashboard/", "/dashboard/index.html", "/dashboard/app.js", "/dashboard/app.css"];
  return [
    ...fromDocument,
    { method: "GET", path: "/admin/v1/openapi.json" },
    ...pages.map((path) => ({ method: "GET", path })),
    { method: "GET", path: "/metrics" },
  ];
}

async function call(base: string, request: { method: string; path: string }) {
  const hasBody = request.method !== "GET" && request.method !== "DELETE";
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    redirect: "manual",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(hasBody ? { "content-type": "application/json" } : {}) },
    ...(hasBody ? { body: "{}" } : {}),
  });
  return { status: response.status, text: await response.text() };
}

describe("split listeners: `server.internal` keeps the admin API, dashboard and /metrics off the public port", () => {
  let hookyard: HookyardProcess;
  let publicUrl: string;
  let internalUrl: string;

  before(async () => {
    const [port, internalPort] = [await freePort(), await freePort()];
    publicUrl = `http://127.0.0.1:${port}`;
    internalUrl = `http://127.0.0.1:${internalPort}`;
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port, internal: { host: "127.0.0.1", port: internalPort } },
      log: { level: "info", format: "json" },
      ingest: { enabled: true, apiKeys: [INGEST_KEY] },
      admin: { enabled: true, apiKeys: [ADMIN_KEY] },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "internal-service", url: "http://127.0.0.1:9/hooks", secrets: [HOOK_SECRET] }],
      ingress: {
        routes: [
          {
            id: "acme",
            path: "/ingress/acme",
            verifier: { type: "standard-webhooks", secrets: [HOOK_SECRET] },
            defaultTargets: ["internal-service"],
          },
        ],
      },
    });
    hookyard = runHookyard(["start", "-c", file]);
    await hookyard.waitForLine(/hookyard started/);
  });
  after(async () => {
    hookyard.kill("SIGTERM");
    await hookyard.exited;
  });

  it("the start banner names both listeners and how to sign in to the dashboard", async () => {
    const line = await hookyard.waitForLine(/^Dashboard: /);
    assert.ok(line.includes(`${internalUrl}/dashboard/`), line);
    assert.match(line, /admin API key from admin\.apiKeys \(key_[0-9a-f]{8}\)/);
    assert.ok(!hookyard.stderr().includes(ADMIN_KEY) && !hookyard.stdout().includes(ADMIN_KEY), "never the key");
    assert.match(hookyard.stderr(), new RegExp(`${publicUrl}  public: ingest API \\(/v1/events\\), inbound webhooks`));
  });

  it("the internal listener serves every admin and dashboard route and /metrics; the public one none of them", async () => {
    const document = (await (await fetch(`${internalUrl}/admin/v1/openapi.json`)).json()) as OpenApiDocument;
    const requests = adminRequests(document);
    assert.ok(requests.length > 20, `the OpenAPI document lists the admin routes (${requests.length})`);
    for (const request of requests) {
      const name = `${request.method} ${request.path}`;
      const internal = await call(internalUrl, request);
      assert.ok(
        !internal.text.includes("no route for"),
        `${name} is served on the internal listener: ${internal.text}`,
      );
      assert.ok(internal.status !== 401 && internal.status !== 403, `${name}: the admin key is accepted`);
      const outside = await call(publicUrl, request);
      assert.equal(outside.status, 404, `${name} on the public listener: ${outside.status} ${outside.text}`);
      assert.match(outside.text, /"NOT_FOUND"/, name);
    }
    const metrics = await (await fetch(`${internalUrl}/metrics`)).text();
    assert.match(metrics, /hookyard_store_stats_age_seconds/);
  });

  it("the public listener serves the ingest API, inbound webhooks and health; the internal one health too", async () => {
    const ingest = await fetch(`${publicUrl}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "order.created", data: { id: 1 } }),
    });
    assert.equal(ingest.status, 202, await ingest.text());
    const unsigned = await fetch(`${publicUrl}/ingress/acme`, { method: "POST", body: "{}" });
    assert.equal(unsigned.status, 401, "the inbound webhook route is there (and refuses an unsigned request)");
    for (const base of [publicUrl, internalUrl]) {
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    }
    const internalIngest = await fetch(`${internalUrl}/v1/events`, { method: "POST", body: "{}" });
    assert.equal(internalIngest.status, 404, "the ingest API is public only");
  });
});

describe("hookyard secret", () => {
  const run = async (args: string[]) => {
    const process = runHookyard(args);
    const { code } = await process.exited;
    return { code, stdout: process.stdout(), stderr: process.stderr() };
  };

  it("prints a whsec_ secret, an ed25519 pair or an API key that Hookyard accepts", async () => {
    const hmac = await run(["secret"]);
    assert.equal(hmac.code, 0, hmac.stderr);
    assert.match(hmac.stdout, /^whsec_[A-Za-z0-9+/]{43}=\n$/);
    assert.notEqual((await run(["secret", "whsec"])).stdout, hmac.stdout, "random each time");
    const pair = await run(["secret", "ed25519"]);
    assert.match(pair.stdout, /^whsk_[A-Za-z0-9+/]{43}=\nwhpk_[A-Za-z0-9+/]{43}=\n$/);
    const key = await run(["secret", "key"]);
    assert.match(key.stdout, /^[A-Za-z0-9_-]{43}\n$/);
    const unknown = await run(["secret", "rsa"]);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown kind "rsa"/);

    // A config using them passes `hookyard validate`.
    const [whsk] = pair.stdout.split("\n");
    const file = writeConfigFile({
      admin: { enabled: true, apiKeys: [key.stdout.trim()] },
      endpoints: [{ id: "e", url: "https://hooks.example.com/x", secrets: [hmac.stdout.trim(), whsk] }],
    });
    const validated = await run(["validate", "-c", file]);
    assert.equal(validated.code, 0, validated.stderr);
  });
});
