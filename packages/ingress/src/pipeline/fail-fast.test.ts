import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { compileRoutes } from "../config/compile-routes.js";
import { createConvictValidation } from "../config/convict-validation.js";
import type { IngressRoute } from "../config/route.js";
import type { DedupStore, IngressAccept, RateLimiter } from "./collaborators.js";
import { createIngressCounters } from "./counters.js";
import { createMemoryDedup } from "./memory-dedup.js";
import { registerIngressRoutes } from "./register-ingress-routes.js";

const SECRET = "github-secret-0123456789";
const STORE_TIMEOUT_MS = 300;
/** Far below what a hung Redis would hold a request (its 5–10 s command timeouts), far above the budget. */
const ANSWERED_WITHIN_MS = 3000;
const never = new Promise<never>(() => undefined);

describe("ingress answers fast when the store hangs, and 413 for events no target can take", () => {
  let app: FastifyInstance;
  let base = "";
  const counters = createIngressCounters();
  let limiterHangs = false;
  let acceptHangs = false;
  const limiter: RateLimiter = {
    take: async () => (limiterHangs ? never : { ok: true, retryAfterMs: 0 }),
  };
  const accept: IngressAccept = async () => (acceptHangs ? never : undefined);
  const dedup: DedupStore = createMemoryDedup();

  before(async () => {
    const validation = createConvictValidation();
    const route = (id: string, targets: string[], extra: object = {}) => ({
      id,
      path: `/ingress/${id}`,
      verifier: { type: "github", secrets: [SECRET] },
      defaultTargets: targets,
      ...extra,
    });
    const { routes } = compileRoutes(
      [
        route("limited", ["queue"], { limits: { ratePerSecond: 1000 } }),
        route("plain", ["queue"]),
        route("small-only", ["small-a", "small-b"], { limits: { maxBodyBytes: "64kb" } }),
        route("mixed", ["small-a", "http-service"], { limits: { maxBodyBytes: "64kb" } }),
      ],
      validation,
    );
    assert.deepEqual(validation.problems, []);
    app = Fastify();
    await registerIngressRoutes(app, {
      routes: routes as IngressRoute[],
      accept,
      dedup,
      limiter,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      metrics: counters,
      storeTimeoutMs: STORE_TIMEOUT_MS,
      // Two sinks that take 1,000 bytes at most; any other target (an HTTP endpoint) has no limit.
      targetRefuses: (envelope, target) =>
        target.startsWith("small") && envelope.data.byteLength > 1000
          ? { size: envelope.data.byteLength, limit: 1000 }
          : undefined,
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  const post = async (route: string, size = 10) => {
    const body = JSON.stringify({ pad: "x".repeat(size) });
    const started = performance.now();
    const response = await fetch(`${base}/ingress/${route}`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": `d-${route}-${Math.random()}`,
        "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
      },
    });
    return { response, tookMs: performance.now() - started };
  };

  test("a rate limiter that never answers: 503 with Retry-After within the store budget", async () => {
    limiterHangs = true;
    try {
      const { response, tookMs } = await post("limited");
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "5");
      assert.ok(tookMs < ANSWERED_WITHIN_MS, `answered after ${Math.round(tookMs)} ms`);
    } finally {
      limiterHangs = false;
    }
  });

  test("an enqueue that never answers: 503 with Retry-After within the store budget, and the retry is accepted", async () => {
    acceptHangs = true;
    const { response, tookMs } = await post("plain");
    acceptHangs = false;
    assert.equal(response.status, 503);
    assert.ok(response.headers.get("retry-after"));
    assert.ok(tookMs < ANSWERED_WITHIN_MS, `answered after ${Math.round(tookMs)} ms`);
    assert.equal((await post("plain")).response.status, 200);
  });

  test("413 naming the size when every target refuses the event; accepted when one target can take it", async () => {
    const refused = await post("small-only", 2000);
    assert.equal(refused.response.status, 413);
    const answer = (await refused.response.json()) as { error: { code: string; message: string } };
    assert.equal(answer.error.code, "PAYLOAD_TOO_LARGE");
    assert.match(answer.error.message, /is 2010 bytes; this route's targets accept at most 1000 bytes/);
    assert.equal(counters.get("small-only", "too_large"), 1);
    assert.equal((await post("small-only", 500)).response.status, 200);
    assert.equal((await post("mixed", 2000)).response.status, 200, "the HTTP target can take it");
  });
});
