import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { type PrivateRedis, privateRedis, uniqueName, waitFor } from "@hookyard/test-brokers";
import { INGEST_KEY, startTestGateway } from "./gateway-fixture.js";

/**
 * Redis unavailable: ingress and the ingest API answer 503 with Retry-After within server.storeTimeout (1 s),
 * never holding the provider's connection for Redis's own command timeouts (5–10 s). Two ways Redis goes away, on
 * a private redis-server (the shared one is never stopped): hung (SIGSTOP: connections open, nothing answered) and
 * killed (SIGKILL).
 */

const SECRET = "github-e2e-secret-value";
/** Three times the 1 s budget: far below the 5–10 s a request waited before, far above what the budget allows. */
const ANSWERED_WITHIN_MS = 3000;

function ingressRequest(gateway: Gateway, id: string) {
  const body = JSON.stringify({ id });
  return fetch(`${gateway.url}/ingress/gh`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": id,
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
  });
}

function ingestRequest(gateway: Gateway, id: string) {
  return fetch(`${gateway.url}/v1/events`, {
    method: "POST",
    body: JSON.stringify({ id, type: "t", data: 1 }),
    headers: { "content-type": "application/json", authorization: `Bearer ${INGEST_KEY}` },
  });
}

async function timed(request: Promise<Response>): Promise<{ status: number; retryAfter: string | null; ms: number }> {
  const started = performance.now();
  const response = await request;
  await response.body?.cancel();
  return { status: response.status, retryAfter: response.headers.get("retry-after"), ms: performance.now() - started };
}

async function startOn(redis: PrivateRedis): Promise<Gateway> {
  return startTestGateway({
    server: { host: "127.0.0.1", port: 0, storeTimeout: "1s" },
    redis: { url: redis.url, prefix: uniqueName("hy-outage") },
    ingest: { enabled: true, apiKeys: [INGEST_KEY] },
    endpoints: [
      { id: "internal", url: "http://127.0.0.1:9/never", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] },
    ],
    subscriptions: [{ id: "all", endpoints: ["internal"], types: ["*"] }],
    ingress: {
      routes: [
        {
          id: "gh",
          path: "/ingress/gh",
          verifier: { type: "github", secrets: [SECRET] },
          // Every step that touches Redis: the shared rate limit, de-duplication, the enqueue.
          limits: { ratePerSecond: 1000 },
          defaultTargets: ["internal"],
        },
      ],
    },
  });
}

for (const outage of ["hung (SIGSTOP)", "killed (SIGKILL)"] as const) {
  describe(`ingress and ingest with Redis ${outage}`, () => {
    it("answer 503 with Retry-After within the budget, and accept the retries once Redis is back", async () => {
      const redis = await privateRedis();
      await redis.start();
      const gateway = await startOn(redis);
      try {
        assert.equal((await ingressRequest(gateway, uniqueName("warm"))).status, 200);
        if (outage === "hung (SIGSTOP)") redis.pause();
        else await redis.stop("SIGKILL");
        const ids = Array.from({ length: 8 }, () => uniqueName("during"));
        const answers = await Promise.all([
          ...ids.map((id) => timed(ingressRequest(gateway, id))),
          ...ids.slice(0, 4).map((id) => timed(ingestRequest(gateway, id))),
        ]);
        for (const answer of answers) {
          assert.equal(answer.status, 503);
          assert.ok(answer.retryAfter !== null && Number(answer.retryAfter) >= 1, "Retry-After");
          assert.ok(answer.ms < ANSWERED_WITHIN_MS, `answered after ${Math.round(answer.ms)} ms`);
        }
        if (outage === "hung (SIGSTOP)") redis.resume();
        else await redis.start();
        // The provider's retry of a refused event: accepted once Redis answers again.
        const retry = ids[0] as string;
        await waitFor(
          "ingress accepting again",
          async () => ((await ingressRequest(gateway, retry)).status === 200 ? true : undefined),
          { timeoutMs: 20_000, intervalMs: 200 },
        );
        assert.equal((await ingestRequest(gateway, uniqueName("after"))).status, 202);
      } finally {
        await gateway.stop();
        await redis.stop("SIGKILL");
      }
    });
  });
}
