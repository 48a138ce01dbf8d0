import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Envelope } from "@hookyard/core";
import Fastify, { type FastifyInstance } from "fastify";
import Stripe from "stripe";
import twilio from "twilio";
import { compileRoutes } from "../config/compile-routes.js";
import { createConvictValidation } from "../config/convict-validation.js";
import type { IngressRoute } from "../config/route.js";
import type { IngressAccept } from "./collaborators.js";
import { createIngressCounters } from "./counters.js";
import { createMemoryDedup } from "./memory-dedup.js";
import { createMemoryLimiter } from "./memory-limiter.js";
import { registerIngressRoutes } from "./register-ingress-routes.js";
import { createRejectedLog } from "./rejected-log.js";

const STRIPE_SECRET = "whsec_e2e_stripe_secret_0123456789";
const SLACK_SECRET = "slack-signing-secret-0123456789";
const TWILIO_TOKEN = "twilio-auth-token-0123456789abcd";
const GITHUB_SECRET = "github-secret-0123456789";

const ROUTES = [
  {
    id: "stripe",
    path: "/ingress/stripe",
    verifier: { type: "stripe", secrets: [STRIPE_SECRET] },
    limits: { maxBodyBytes: 4096 },
    rules: [
      { types: ["invoice.*"], targets: ["billing"] },
      { match: { "body.data.object.amount": { $gte: 10000 } }, targets: ["big-money", "billing"] },
    ],
    defaultTargets: ["audit"],
  },
  {
    id: "github",
    path: "/ingress/github",
    verifier: { type: "github", secrets: [GITHUB_SECRET] },
    rules: [{ match: { "headers.x-github-event": "push", "body.ref": "refs/heads/main" }, targets: ["deploys"] }],
  },
  {
    id: "limited",
    path: "/ingress/limited",
    verifier: { type: "github", secrets: [GITHUB_SECRET] },
    limits: { ratePerSecond: 1, burst: 2 },
    defaultTargets: ["t"],
  },
  {
    id: "denied",
    path: "/ingress/denied",
    verifier: { type: "github", secrets: [GITHUB_SECRET] },
    limits: { denyCidrs: ["127.0.0.0/8", "::1/128"] },
    defaultTargets: ["t"],
  },
  {
    id: "narrow",
    path: "/ingress/narrow",
    verifier: { type: "github", secrets: [GITHUB_SECRET] },
    limits: { concurrency: 1 },
    dedup: { enabled: false },
    defaultTargets: ["t"],
  },
  {
    id: "slack",
    path: "/ingress/slack",
    verifier: { type: "slack", secrets: [SLACK_SECRET] },
    defaultTargets: ["chatops"],
  },
  {
    id: "twilio",
    path: "/ingress/twilio",
    publicUrl: "https://hooks.example.com",
    verifier: { type: "twilio", secrets: [TWILIO_TOKEN] },
    defaultTargets: ["sms"],
  },
];

interface Harness {
  app: FastifyInstance;
  base: string;
  calls: { envelope: Envelope; targets: readonly string[] }[];
  /** What the next accept calls do; default: resolve at once. */
  acceptWith: (run: IngressAccept | undefined) => void;
  counters: ReturnType<typeof createIngressCounters>;
  rejected: ReturnType<typeof createRejectedLog>;
  logs: string[];
}

async function startHarness(): Promise<Harness> {
  const validation = createConvictValidation();
  const { routes } = compileRoutes(ROUTES, validation);
  assert.deepEqual(validation.problems, []);
  const calls: Harness["calls"] = [];
  let behaviour: IngressAccept | undefined;
  const logs: string[] = [];
  const log = (object: object, message: string) => {
    logs.push(
      `${message} ${JSON.stringify(object, (_key, value) => (value instanceof Error ? value.message : value))}`,
    );
  };
  const counters = createIngressCounters();
  const rejected = createRejectedLog(100);
  const frozen = Date.now();
  const app = Fastify();
  await registerIngressRoutes(app, {
    routes: routes as IngressRoute[],
    accept: async (envelope, targets) => {
      calls.push({ envelope, targets });
      if (behaviour !== undefined) await behaviour(envelope, targets);
    },
    dedup: createMemoryDedup(),
    // A frozen clock: the bucket never refills during the test, so the 429 is deterministic.
    limiter: createMemoryLimiter({ now: () => frozen }),
    logger: { debug: log, info: log, warn: log, error: log },
    metrics: counters,
    rejected,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    calls,
    acceptWith: (run) => {
      behaviour = run;
    },
    counters,
    rejected,
    logs,
  };
}

function post(base: string, path: string, body: string | Buffer, headers: Record<string, string>) {
  return fetch(`${base}${path}`, { method: "POST", body, headers });
}

function stripeEvent(id: string, type: string, amount: number) {
  return JSON.stringify({ id, object: "event", type, data: { object: { amount } } });
}

function stripeHeaders(body: string, secret = STRIPE_SECRET) {
  return {
    "content-type": "application/json; charset=utf-8",
    "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
  };
}

function githubHeaders(body: string | Buffer, delivery: string, event = "push") {
  return {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": delivery,
    "x-hub-signature-256": `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`,
  };
}

/** A deferred promise the test resolves or rejects. */
function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("registerIngressRoutes on a real server", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.app.close();
  });

  test("a verified Stripe event is accepted: byte-exact data, id, type, source, kept headers, rule targets", async () => {
    const body = stripeEvent("evt_accept_1", "invoice.paid", 20000);
    const before = h.calls.length;
    const response = await post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { received: true });
    assert.equal(h.calls.length, before + 1);
    const { envelope, targets } = h.calls.at(-1) as Harness["calls"][number];
    assert.deepEqual(Buffer.from(envelope.data), Buffer.from(body));
    assert.equal(envelope.id, "evt_accept_1");
    assert.equal(envelope.type, "invoice.paid");
    assert.equal(envelope.source, "ingress:stripe");
    assert.equal(envelope.contentType, "application/json; charset=utf-8");
    assert.equal(envelope.idempotencyKey, "ingress:stripe:evt_accept_1");
    assert.equal(envelope.headers["stripe-signature"], undefined);
    assert.deepEqual(targets, ["billing", "big-money"]);
  });

  test("rules fan out: a non-invoice big event gets one rule's targets; nothing matching gets defaultTargets", async () => {
    const big = stripeEvent("evt_rules_1", "charge.succeeded", 50000);
    assert.equal((await post(h.base, "/ingress/stripe", big, stripeHeaders(big))).status, 200);
    assert.deepEqual(h.calls.at(-1)?.targets, ["big-money", "billing"]);
    const small = stripeEvent("evt_rules_2", "charge.succeeded", 5);
    assert.equal((await post(h.base, "/ingress/stripe", small, stripeHeaders(small))).status, 200);
    assert.deepEqual(h.calls.at(-1)?.targets, ["audit"]);
  });

  test("unroutable (no rule, no default targets): 200, nothing accepted, counted and logged for inspection", async () => {
    const before = h.calls.length;
    const body = JSON.stringify({ ref: "refs/heads/feature" });
    const response = await post(h.base, "/ingress/github", body, githubHeaders(body, "d-unroutable"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { received: true, routed: false });
    assert.equal(h.calls.length, before);
    assert.equal(h.counters.get("github", "unroutable"), 1);
    assert.equal(h.rejected.list({ routeId: "github" })[0]?.reason, "no rule matched");
    const main = JSON.stringify({ ref: "refs/heads/main" });
    assert.equal((await post(h.base, "/ingress/github", main, githubHeaders(main, "d-main"))).status, 200);
    assert.deepEqual(h.calls.at(-1)?.targets, ["deploys"]);
    assert.equal(h.calls.at(-1)?.envelope.headers["x-github-event"], "push");
    assert.equal(h.calls.at(-1)?.envelope.headers["x-github-delivery"], "d-main");
  });

  test("a body without Content-Type is still read as raw bytes", async () => {
    const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main" }));
    const { "content-type": _, ...headers } = githubHeaders(body, "d-no-type");
    const response = await fetch(`${h.base}/ingress/github`, { method: "POST", body, headers });
    assert.equal(response.status, 200);
    assert.equal(h.calls.at(-1)?.envelope.contentType, "application/octet-stream");
    assert.deepEqual(Buffer.from(h.calls.at(-1)?.envelope.data ?? []), body);
  });

  test("a 10-times replay is accepted once and answered 200 every time", async () => {
    const body = stripeEvent("evt_replay_1", "invoice.created", 1);
    const headers = stripeHeaders(body);
    const before = h.calls.length;
    for (let i = 0; i < 10; i++) {
      const response = await post(h.base, "/ingress/stripe", body, headers);
      assert.equal(response.status, 200);
    }
    assert.equal(h.calls.length, before + 1);
    assert.equal(h.counters.get("stripe", "duplicate"), 9);
  });

  test("bad signature: 401 without detail; the reason is in the rejected log with signature headers redacted", async () => {
    const body = stripeEvent("evt_bad_1", "invoice.paid", 1);
    const headers = stripeHeaders(body, "whsec_wrong_secret_000000000000");
    const before = h.calls.length;
    const response = await post(h.base, "/ingress/stripe", body, headers);
    assert.equal(response.status, 401);
    const answer = JSON.stringify(await response.json());
    assert.doesNotMatch(answer, /mismatch/);
    assert.equal(h.calls.length, before);
    const entry = h.rejected.list({ routeId: "stripe", limit: 1 })[0];
    assert.equal(entry?.outcome, "unverified");
    assert.equal(entry?.reason, "signature mismatch");
    assert.equal(entry?.headers["stripe-signature"], "[redacted]");
    assert.equal(entry?.size, Buffer.byteLength(body));
    const signature = headers["stripe-signature"].split("v1=")[1] as string;
    assert.ok(!h.logs.some((line) => line.includes(signature) || line.includes(STRIPE_SECRET)));
  });

  test("413 for an oversized body with Content-Length, and for a chunked one without; nothing accepted", async () => {
    const before = h.calls.length;
    const big = stripeEvent("evt_big_1", "invoice.paid", 1).padEnd(5000, " ");
    const response = await post(h.base, "/ingress/stripe", big, stripeHeaders(big));
    assert.equal(response.status, 413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${h.base}/ingress/stripe`,
        { method: "POST", headers: { ...stripeHeaders(big), "transfer-encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      // Chunks of 1 KB: the limit is crossed mid-stream, never known up front.
      for (let offset = 0; offset < big.length; offset += 1024) request.write(big.slice(offset, offset + 1024));
      request.end();
    });
    assert.equal(chunked, 413);
    assert.equal(h.calls.length, before);
    assert.equal(h.counters.get("stripe", "too_large"), 2);
  });

  test("429 with Retry-After once the burst is spent", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const body = JSON.stringify({ n: i });
      const response = await post(h.base, "/ingress/limited", body, githubHeaders(body, `d-limit-${i}`));
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.ok(Number(retryAfter) >= 1, `retry-after ${retryAfter}`);
    assert.equal(h.counters.get("limited", "rate_limited"), 1);
  });

  test("a denied CIDR gets 403 before anything else", async () => {
    const body = JSON.stringify({});
    const response = await post(h.base, "/ingress/denied", body, githubHeaders(body, "d-denied"));
    assert.equal(response.status, 403);
    assert.equal(h.counters.get("denied", "forbidden_ip"), 1);
  });

  test("concurrency limit: a second request while one is in progress gets 503, the first completes", async () => {
    const hold = gate();
    h.acceptWith(() => hold.promise);
    const before = h.calls.length;
    const firstBody = JSON.stringify({ n: "first" });
    const first = post(h.base, "/ingress/narrow", firstBody, githubHeaders(firstBody, "d-c1"));
    await waitUntil(() => h.calls.length === before + 1, "the first request to reach accept");
    const secondBody = JSON.stringify({ n: "second" });
    const second = await post(h.base, "/ingress/narrow", secondBody, githubHeaders(secondBody, "d-c2"));
    assert.equal(second.status, 503);
    assert.equal(second.headers.get("retry-after"), "1");
    hold.open();
    assert.equal((await first).status, 200);
    h.acceptWith(undefined);
    const third = await post(h.base, "/ingress/narrow", secondBody, githubHeaders(secondBody, "d-c3"));
    assert.equal(third.status, 200);
  });

  test("accept rejecting → 503 with Retry-After, never 2xx; the provider's retry is then accepted", async () => {
    const body = stripeEvent("evt_durable_1", "invoice.paid", 1);
    h.acceptWith(async () => {
      throw new Error("broker down");
    });
    const before = h.calls.length;
    const failed = await post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    assert.equal(failed.status, 503);
    assert.ok(failed.headers.get("retry-after"));
    h.acceptWith(undefined);
    const retried = await post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    assert.equal(retried.status, 200);
    assert.equal(h.calls.length, before + 2);
    const again = await post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    assert.equal(again.status, 200);
    assert.equal(h.calls.length, before + 2);
  });

  test("a duplicate arriving while the first copy is not yet durable gets 409, not 2xx", async () => {
    const hold = gate();
    h.acceptWith(() => hold.promise);
    const body = stripeEvent("evt_inflight_1", "invoice.paid", 1);
    const before = h.calls.length;
    const first = post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    await waitUntil(() => h.calls.length === before + 1, "the first copy to reach accept");
    const duplicate = await post(h.base, "/ingress/stripe", body, stripeHeaders(body));
    assert.equal(duplicate.status, 409);
    hold.fail(new Error("lost"));
    assert.equal((await first).status, 503);
    h.acceptWith(undefined);
    assert.equal((await post(h.base, "/ingress/stripe", body, stripeHeaders(body))).status, 200);
  });

  test("Slack url_verification is answered with the challenge and publishes nothing", async () => {
    const before = h.calls.length;
    const body = JSON.stringify({ token: "x", challenge: "ch4ll3nge", type: "url_verification" });
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac("sha256", SLACK_SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
    const response = await post(h.base, "/ingress/slack", body, {
      "content-type": "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": signature,
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { challenge: "ch4ll3nge" });
    assert.equal(h.calls.length, before);
    const forged = await post(h.base, "/ingress/slack", body, {
      "content-type": "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": `v0=${"0".repeat(64)}`,
    });
    assert.equal(forged.status, 401);
  });

  test("Twilio: verified against the configured public URL (not the local port), answered with empty TwiML", async () => {
    const params = { MessageSid: "SM42", From: "+14155550100", Body: "hi there" };
    const url = "https://hooks.example.com/ingress/twilio?tenant=acme";
    const signature = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params);
    const response = await post(h.base, "/ingress/twilio?tenant=acme", new URLSearchParams(params).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature,
      "i-twilio-idempotency-token": "idem-1",
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/xml/);
    assert.match(await response.text(), /<Response><\/Response>/);
    assert.equal(h.calls.at(-1)?.envelope.id, "idem-1");
    assert.equal(h.calls.at(-1)?.envelope.type, "message");
  });

  test("every outcome was counted and no log line carries a secret", () => {
    assert.ok(h.counters.get("stripe", "accepted") >= 4);
    assert.equal(h.counters.get("stripe", "unverified"), 1);
    assert.equal(h.counters.get("narrow", "over_capacity"), 1);
    assert.equal(h.counters.get("stripe", "unavailable"), 2);
    assert.equal(h.counters.get("stripe", "in_flight"), 1);
    assert.equal(h.counters.get("slack", "challenge"), 1);
    for (const secret of [STRIPE_SECRET, SLACK_SECRET, TWILIO_TOKEN, GITHUB_SECRET]) {
      assert.ok(!h.logs.some((line) => line.includes(secret)));
    }
  });
});
