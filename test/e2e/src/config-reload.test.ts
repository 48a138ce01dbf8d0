import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { requireBrokers, uniqueName, withDeadline } from "@hookyard/test-brokers";
import { stringify } from "yaml";
import { writeConfigFile } from "./config-file.js";
import { INGEST_KEY, TEST_SECRET } from "./gateway-fixture.js";
import { cliPath, freePort, type HookyardProcess, repoRoot, runHookyard } from "./hookyard-process.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const ADMIN_KEY = "test-admin-key-0123456789";
const ROUTE_KEY = "route-key-0123456789abcdef";
const run = promisify(execFile);

/** An endpoint that holds every request until `release()`: a delivery in flight across a reload. */
async function startHoldingEndpoint() {
  const held: ServerResponse[] = [];
  let arrived: (() => void) | undefined;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on("end", () => {
      held.push(response);
      arrived?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`,
    /** Resolves once a request is being held. */
    holding: () =>
      held.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            arrived = resolve;
          }),
    release: () => {
      for (const response of held.splice(0)) response.writeHead(200).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Setup {
  readonly port: number;
  readonly adminPort: number;
  readonly redis?: { url: string; prefix: string };
  readonly receiver: WebhookReceiver;
  readonly slowUrl: string;
}

/** The config of each step; `next` the second version (a new endpoint, a removed subscription, a changed route). */
function configOf(setup: Setup, version: "first" | "next"): Record<string, unknown> {
  const endpoint = (id: string) => ({ id, url: `${setup.receiver.url}/${id}`, secrets: [TEST_SECRET] });
  const first = version === "first";
  return {
    server: { host: "127.0.0.1", port: setup.port, internal: { host: "127.0.0.1", port: setup.adminPort } },
    log: { level: "info", format: "json" },
    ...(setup.redis === undefined ? {} : { redis: setup.redis }),
    ingest: { enabled: true, apiKeys: [INGEST_KEY] },
    admin: { enabled: true, apiKeys: [ADMIN_KEY] },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints: [
      endpoint("ep-a"),
      { id: "ep-slow", url: setup.slowUrl, secrets: [TEST_SECRET], policy: { timeout: "20s" } },
      ...(first ? [] : [endpoint("ep-b")]),
    ],
    subscriptions: [
      { id: "slow", endpoints: ["ep-slow"], types: ["slow.*"] },
      ...(first ? [{ id: "orders-a", endpoints: ["ep-a"], types: ["order.*"] }] : []),
      ...(first ? [] : [{ id: "orders-b", endpoints: ["ep-b"], types: ["order.*"] }]),
    ],
    ingress: {
      routes: [
        {
          id: "hooks",
          path: "/ingress/hooks",
          verifier: { type: "api-key", secrets: [ROUTE_KEY] },
          defaultTargets: [first ? "ep-a" : "ep-b"],
        },
      ],
    },
  };
}

/** Publishes one event; resolves with its id and how many endpoint deliveries it was queued for (durable at 202). */
async function send(port: number, type: string): Promise<{ id: string; deliveries: number }> {
  const id = uniqueName("evt");
  const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ id, type, data: { id } }),
  });
  const text = await response.text();
  assert.equal(response.status, 202, text);
  return { id, deliveries: (JSON.parse(text) as { deliveries: number }).deliveries };
}

/** An order event goes exactly to `endpoints`: queued for that many, and it arrives at each of them. */
async function expectRouted(setup: Setup, endpoints: readonly string[], message: string): Promise<void> {
  const { id, deliveries } = await send(setup.port, "order.created");
  assert.equal(deliveries, endpoints.length, message);
  for (const endpoint of endpoints) await arrivedAt(setup.receiver, `/${endpoint}`, id);
}

async function admin(setup: Setup, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${setup.adminPort}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

async function metric(setup: Setup, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${setup.adminPort}/metrics`)).text();
  const line = text.split("\n").find((candidate) => pattern.test(candidate));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

function postIngress(setup: Setup, marker: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${setup.port}/ingress/hooks`, {
    method: "POST",
    headers: { "x-api-key": ROUTE_KEY, "content-type": "application/json" },
    body: JSON.stringify({ marker }),
  });
}

async function arrivedAt(receiver: WebhookReceiver, path: string, marker: string): Promise<void> {
  const has = () => receiver.received.some((r) => r.path === path && r.body.toString().includes(marker));
  await withDeadline(
    `${marker} at ${path}`,
    (async () => {
      while (!has()) await receiver.waitFor(receiver.received.length + 1, 15_000);
    })(),
    15_000,
  );
}

/** What `hookyard validate` prints for the file: its problem lines, the ones a refused reload must repeat. */
async function validateProblems(file: string): Promise<string[]> {
  const result = await run(process.execPath, [cliPath, "validate", "-c", file], { cwd: repoRoot }).then(
    () => assert.fail("the file was expected to be invalid"),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(result.code, 78);
  return result.stderr
    .split("\n")
    .filter((line) => line.startsWith("  "))
    .map((line) => line.trim());
}

/** `hookyard reload` with the admin listener and key named, or found in the config file (`-c FILE`). */
async function cliReload(setup: Setup, file?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const target =
    file === undefined ? ["--url", `http://127.0.0.1:${setup.adminPort}`, "--api-key", ADMIN_KEY] : ["-c", file];
  const args = [cliPath, "reload", ...target];
  return run(process.execPath, args, { cwd: repoRoot }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

for (const store of ["redis", "embedded"] as const) {
  describe(`config reload without a restart (${store} store)`, () => {
    it("applies endpoints, subscriptions and routes on SIGHUP and `hookyard reload`, refuses invalid files", async () => {
      const redisUrl = store === "redis" ? requireBrokers("redis").redisUrl : undefined;
      const receiver = await startWebhookReceiver(TEST_SECRET);
      const slow = await startHoldingEndpoint();
      const setup: Setup = {
        port: await freePort(),
        adminPort: await freePort(),
        receiver,
        slowUrl: slow.url,
        ...(redisUrl === undefined ? {} : { redis: { url: redisUrl, prefix: uniqueName("hy-reload") } }),
      };
      const file = writeConfigFile(configOf(setup, "first"));
      const write = (config: Record<string, unknown>) => writeFileSync(file, stringify(config));
      let hookyard: HookyardProcess | undefined;
      try {
        hookyard = runHookyard(["start", "-c", file]);
        await hookyard.waitForLine(/hookyard started/);

        // Before: order.* goes to ep-a, the route to ep-a; one delivery to ep-slow is held in flight.
        await expectRouted(setup, ["ep-a"], "before the reload");
        assert.equal((await postIngress(setup, "route-before")).status, 200);
        await arrivedAt(receiver, "/ep-a", "route-before");
        await send(setup.port, "slow.thing");
        await slow.holding();

        // SIGHUP with the next version: ep-b added, orders-a removed, orders-b added, the route now to ep-b.
        write(configOf(setup, "next"));
        let reloaded = hookyard.waitForNewLine(/"message":"config reloaded"/);
        hookyard.kill("SIGHUP");
        const line = JSON.parse(await reloaded) as { applied: string[]; hash: string };
        assert.deepEqual(line.applied, ["endpoints", "subscriptions", "ingress.routes"]);
        assert.equal(line.hash, createHash("sha256").update(readFileSync(file)).digest("hex"));
        await expectRouted(setup, ["ep-b"], "ep-a's subscription stopped, ep-b's started");
        assert.equal((await postIngress(setup, "route-after")).status, 200);
        await arrivedAt(receiver, "/ep-b", "route-after");

        // The delivery in flight during the reload completes: delivered once, not retried.
        slow.release();
        await withDeadline(
          "the held delivery settled",
          (async () => {
            const pattern = /hookyard_delivery_attempts_total\{endpoint="ep-slow",outcome="delivered"\}/;
            while ((await metric(setup, pattern)) < 1) await new Promise((resolve) => setImmediate(resolve));
          })(),
          15_000,
        );

        // A policy change reaches the scheduler: ep-b disabled in the file holds its deliveries, enabled sends them.
        const withEpB = (enabled: boolean) => {
          const next = configOf(setup, "next");
          const endpoints = (next.endpoints as { id: string }[]).map((e) => (e.id === "ep-b" ? { ...e, enabled } : e));
          return { ...next, endpoints };
        };
        write(withEpB(false));
        reloaded = hookyard.waitForNewLine(/"message":"config reloaded"/);
        hookyard.kill("SIGHUP");
        await reloaded;
        const held = await send(setup.port, "order.created");
        assert.equal(held.deliveries, 1);
        const health = await admin(setup, "GET", "/admin/v1/endpoints/ep-b/health");
        assert.equal((health.body as { enabled: boolean }).enabled, false, JSON.stringify(health.body));
        write(withEpB(true));
        reloaded = hookyard.waitForNewLine(/"message":"config reloaded"/);
        hookyard.kill("SIGHUP");
        await reloaded;
        await arrivedAt(receiver, "/ep-b", held.id);

        // An invalid file: refused with validate's messages (logged at error), the running config stays.
        const invalid = { ...configOf(setup, "next"), endpoints: [{ id: "ep-a", url: "ftp://nowhere" }] };
        write(invalid);
        const expected = await validateProblems(file);
        assert.ok(expected.length >= 2, expected.join("\n"));
        const refused = hookyard.waitForNewLine(/config reload refused/);
        hookyard.kill("SIGHUP");
        const refusal = JSON.parse(await refused) as { level: string; problems: string[] };
        assert.equal(refusal.level, "error");
        assert.deepEqual(refusal.problems, expected);
        const cliRefused = await cliReload(setup);
        assert.equal(cliRefused.code, 78, cliRefused.stderr);
        for (const problem of expected) assert.ok(cliRefused.stderr.includes(`  ${problem}\n`), cliRefused.stderr);
        await expectRouted(setup, ["ep-b"], "the running config stays");

        // An endpoint created through the admin API is never taken over by the file.
        const created = await admin(setup, "POST", "/admin/v1/endpoints", {
          id: "api-ep",
          owner: "acme",
          url: `${receiver.url}/api-ep`,
          eventTypes: ["order.created"],
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const next = configOf(setup, "next");
        write({
          ...next,
          endpoints: [
            ...(next.endpoints as object[]),
            { id: "api-ep", url: `${receiver.url}/x`, secrets: [TEST_SECRET] },
          ],
        });
        const clobber = await cliReload(setup);
        assert.equal(clobber.code, 78, clobber.stderr);
        assert.match(clobber.stderr, /endpoints\[3\]\.id: expected an id not used by the admin API/);
        await expectRouted(setup, ["ep-b", "api-ep"], "the API endpoint keeps its subscription");

        // `hookyard reload` applying a file whose listener port changed: applied, the port reported as restart-only.
        const restartPort = await freePort();
        write({ ...next, server: { ...(next.server as object), port: restartPort } });
        reloaded = hookyard.waitForNewLine(/config changes that only a restart applies/);
        const applied = await cliReload(setup, file);
        assert.equal(applied.code, 0, applied.stderr);
        assert.match(applied.stdout, /needs a restart/);
        assert.match(applied.stdout, /^ {2}server\.port$/m);
        await reloaded;
        const hash = createHash("sha256").update(readFileSync(file)).digest("hex");
        const ready = await admin(setup, "GET", "/readyz");
        assert.equal((ready.body as { config: { hash: string } }).config.hash, hash);
        const loaded = await admin(setup, "GET", "/admin/v1/config");
        assert.deepEqual((loaded.body as { restartRequired: string[] }).restartRequired, ["server.port"]);
        assert.equal((await postIngress(setup, "still-old-port")).status, 200, "the old port still serves");
        assert.equal(await metric(setup, /hookyard_config_reloads_total\{result="applied"\}/), 4);
        assert.equal(await metric(setup, /hookyard_config_reloads_total\{result="invalid"\}/), 3);

        hookyard.kill("SIGTERM");
        assert.equal((await hookyard.exited).code, 0, hookyard.stderr());
      } finally {
        if (hookyard !== undefined && hookyard.child.exitCode === null) {
          hookyard.kill("SIGKILL");
          await hookyard.exited;
        }
        await receiver.close();
        await slow.close();
        if (setup.redis !== undefined) await deleteHookyardKeys(setup.redis.url, setup.redis.prefix);
      }
    });
  });
}

describe("config reloads under load (redis store)", () => {
  it("loses no accepted event while reloads come and go: each arrives at every endpoint it was queued for", async () => {
    const { redisUrl } = requireBrokers("redis");
    const receiver = await startWebhookReceiver(TEST_SECRET);
    const setup = {
      port: await freePort(),
      adminPort: await freePort(),
      receiver,
      slowUrl: `${receiver.url}/ep-slow`,
      redis: { url: redisUrl, prefix: uniqueName("hy-reload-load") },
    };
    // Two versions: order.* to ep-b only, and to ep-b and ep-c. ep-c stays in the file: an endpoint removed while
    // deliveries are queued for it keeps them until it comes back (docs/reload.md), which is not what this checks.
    const version = (withC: boolean) => {
      const next = configOf(setup, "next");
      const c = { id: "ep-c", url: `${receiver.url}/ep-c`, secrets: [TEST_SECRET] };
      const toC = { id: "orders-c", endpoints: ["ep-c"], types: ["order.*"] };
      return {
        ...next,
        endpoints: [...(next.endpoints as object[]), c],
        subscriptions: [...(next.subscriptions as object[]), ...(withC ? [toC] : [])],
      };
    };
    const file = writeConfigFile(version(false));
    const hookyard = runHookyard(["start", "-c", file]);
    try {
      await hookyard.waitForLine(/hookyard started/);
      const accepted: { id: string; deliveries: number }[] = [];
      let sending = true;
      const sender = async () => {
        while (sending) accepted.push(await send(setup.port, "order.created"));
      };
      const senders = Array.from({ length: 4 }, sender);
      for (let round = 1; round <= 6; round++) {
        writeFileSync(file, stringify(version(round % 2 === 1)));
        const reloaded = hookyard.waitForNewLine(/"message":"config reloaded"/);
        const before = accepted.length;
        hookyard.kill("SIGHUP");
        await reloaded;
        // Events keep being accepted across each reload.
        while (accepted.length < before + 20) await receiver.waitFor(receiver.received.length + 1);
      }
      sending = false;
      await Promise.all(senders);
      const expected = accepted.reduce((sum, event) => sum + event.deliveries, 0);
      await receiver.waitFor(expected, 60_000);
      const arrived = new Map<string, Set<string>>();
      for (const request of receiver.received) {
        const id = request.headers["webhook-id"] ?? "";
        arrived.set(id, (arrived.get(id) ?? new Set()).add(request.path));
      }
      const lost = accepted.filter((event) => {
        const paths = arrived.get(event.id) ?? new Set();
        return !paths.has("/ep-b") || paths.size !== event.deliveries;
      });
      const both = accepted.filter((event) => event.deliveries === 2).length;
      assert.ok(both > 0 && both < accepted.length, `${both} of ${accepted.length} went to ep-b and ep-c`);
      assert.deepEqual(lost, [], `${lost.length} of ${accepted.length} accepted events not delivered as queued`);
      assert.ok(receiver.received.every((request) => request.verified));
      hookyard.kill("SIGTERM");
      assert.equal((await hookyard.exited).code, 0, hookyard.stderr());
    } finally {
      if (hookyard.child.exitCode === null) {
        hookyard.kill("SIGKILL");
        await hookyard.exited;
      }
      await receiver.close();
      await deleteHookyardKeys(setup.redis.url, setup.redis.prefix);
    }
  });
});
