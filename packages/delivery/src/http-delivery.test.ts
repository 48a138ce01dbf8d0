import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { createEnvelope, type DeliveryOutcome, type Envelope } from "@hookyard/core";
import { withDeadline } from "@hookyard/test-brokers";
import { Webhook } from "standardwebhooks";
import type { ResolveHost } from "./guarded-connect.js";
import { createHttpDelivery, type HttpDelivery } from "./http-delivery.js";
import { startServer, TEST_SECRET, type TestServer, testEndpoint } from "./test-support.js";

const envelope: Envelope = createEnvelope({
  id: "evt_delivery_1",
  source: "kafka:orders",
  type: "order.created",
  data: '{"order":7,"note":"ünïcødé"}',
});

/** Writes 16 KiB chunks until the client goes away; resolves when the socket closes. */
function endlessBody(response: ServerResponse): Promise<void> {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  // The client cutting the connection mid-write is the point of the test, not an error.
  response.on("error", () => undefined);
  response.socket?.on("error", () => undefined);
  // (events.once would reject on the socket's ECONNRESET; only the close matters here)
  const closed = new Promise<void>((resolve) => (response.socket ?? response).once("close", () => resolve()));
  response.writeHead(200, { "content-type": "text/plain" });
  const pump = (): void => {
    while (!response.destroyed && response.write(chunk)) {
      /* keep writing until the socket buffer is full */
    }
    if (!response.destroyed) response.once("drain", pump);
  };
  pump();
  return closed;
}

describe("createHttpDelivery: classification against real servers", () => {
  let server: TestServer;
  let redirectTarget: TestServer;
  let delivery: HttpDelivery;
  let refusedPort: number;
  let bigBodyClosed: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;

  before(async () => {
    redirectTarget = await startServer((_req, res) => res.end("should not be reached"));
    server = await startServer((request, response) => {
      const path = request.url ?? "";
      const status = Number(/^\/status\/(\d+)/.exec(path)?.[1] ?? 0);
      if (path === "/ok") return void response.writeHead(200, { "x-reply": "yes" }).end("thanks");
      if (path === "/no-content") return void response.writeHead(204).end();
      if (path === "/busy") return void response.writeHead(503, { "retry-after": "7" }).end("busy");
      if (path === "/busy-long") return void response.writeHead(503, { "retry-after": "999999" }).end();
      if (path === "/slow-down-date") {
        const at = new Date(Date.now() + 30_000).toUTCString();
        return void response.writeHead(429, { "retry-after": at }).end();
      }
      if (path === "/slow-down") return void response.writeHead(429).end();
      if (path === "/moved") {
        return void response.writeHead(301, { location: `${redirectTarget.origin}/target` }).end();
      }
      if (path === "/never") return; // holds the request open: the client must give up by itself
      if (path === "/big") {
        bigBodyClosed = endlessBody(response);
        return;
      }
      if (path === "/stall-body") return void response.writeHead(200).write("partial");
      if (path === "/drip") {
        response.writeHead(200);
        const timer = setInterval(() => response.write("."), 50);
        timers.add(timer);
        response.on("close", () => clearInterval(timer));
        return;
      }
      if (status > 0) return void response.writeHead(status).end(`status ${status}`);
      response.writeHead(404).end();
    });
    server.server.on("connection", () => connections++);
    const closedServer = await startServer(() => undefined);
    refusedPort = closedServer.port;
    await closedServer.close();
    delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] }, bodyTimeoutMs: 300 });
  });

  after(async () => {
    for (const timer of timers) clearInterval(timer);
    await delivery.close();
    await server.close();
    await redirectTarget.close();
  });

  const send = (path: string, policy: Parameters<typeof testEndpoint>[1] = {}): Promise<DeliveryOutcome> =>
    delivery.send(testEndpoint(`${server.origin}${path}`, policy), envelope, 1);

  it("200: delivered, the request is signed, in the Standard Webhooks structure, response recorded", async () => {
    const endpoint = testEndpoint(`${server.origin}/ok`, {
      headers: { Authorization: "Bearer s3cr3t", "X-Tenant": "acme" },
    });
    const outcome = await delivery.send(endpoint, envelope, 1);
    assert.equal(outcome.kind, "delivered");
    const received = server.requests.at(-1);
    assert.ok(received);
    assert.equal(received.method, "POST");
    // The payload's bytes are embedded verbatim as `data`; the signature covers exactly the bytes sent.
    const expected = `{"type":"order.created","timestamp":"${envelope.time}","data":${Buffer.from(envelope.data)}}`;
    assert.equal(received.body.toString("utf8"), expected);
    assert.equal(received.headers["content-type"], "application/json");
    assert.equal(received.headers["webhook-id"], envelope.id);
    assert.equal(received.headers.authorization, "Bearer s3cr3t");
    assert.equal(received.headers["x-tenant"], "acme");
    assert.match(received.headers["user-agent"] ?? "", /^Hookyard\//);
    const verified = new Webhook(TEST_SECRET).verify(received.body, received.headers as Record<string, string>);
    assert.deepEqual(verified, {
      type: "order.created",
      timestamp: envelope.time,
      data: { order: 7, note: "ünïcødé" },
    });

    const attempt = outcome.attempt;
    assert.equal(attempt.status, 200);
    assert.equal(attempt.responseBody, "thanks");
    assert.equal(attempt.responseBodyTruncated, false);
    assert.equal(attempt.responseHeaders?.["x-reply"], "yes");
    assert.equal(attempt.requestHeaders?.authorization, "[redacted]");
    assert.equal(attempt.requestHeaders?.["x-tenant"], "acme");
    assert.equal(attempt.requestHeaders?.["webhook-signature"], received.headers["webhook-signature"]);
    assert.ok(attempt.durationMs >= 0 && attempt.durationMs < 5_000);
    assert.ok(!Number.isNaN(Date.parse(attempt.startedAt)));
  });

  it("signs with the clock it is given (the deployment's), not the host's: timestamp, signature, startedAt", async () => {
    const deploymentNow = Date.parse("2031-05-06T07:08:09.500Z");
    const clocked = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] }, now: () => deploymentNow });
    try {
      const outcome = await clocked.send(testEndpoint(`${server.origin}/ok`), envelope, 1);
      assert.equal(outcome.kind, "delivered");
      const received = server.requests.at(-1);
      assert.ok(received);
      assert.equal(received.headers["webhook-timestamp"], String(Math.floor(deploymentNow / 1000)));
      // A receiver on that clock accepts it (the signature covers that timestamp); one on the host clock doesn't.
      const onDeploymentClock = new Webhook(TEST_SECRET);
      const headers = received.headers as Record<string, string>;
      const realNow = Date.now;
      Date.now = () => deploymentNow;
      try {
        assert.doesNotThrow(() => onDeploymentClock.verify(received.body, headers));
      } finally {
        Date.now = realNow;
      }
      assert.throws(() => onDeploymentClock.verify(received.body, headers), /timestamp/i);
      assert.equal(outcome.attempt.startedAt, new Date(deploymentNow).toISOString());
    } finally {
      await clocked.close();
    }
  });

  it("sends the event's W3C trace context untouched when tracing is off, and none when it has none", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const traced = createEnvelope({
      id: "evt_traced",
      source: "kafka:orders",
      type: "order.created",
      data: "{}",
      traceparent,
      tracestate: "congo=t61rcWkgMzE",
    });
    const outcome = await delivery.send(testEndpoint(`${server.origin}/ok`), traced, 1);
    assert.equal(outcome.kind, "delivered");
    assert.equal(server.requests.at(-1)?.headers.traceparent, traceparent);
    assert.equal(server.requests.at(-1)?.headers.tracestate, "congo=t61rcWkgMzE");
    assert.equal(outcome.attempt.requestHeaders?.traceparent, traceparent, "kept in the attempt log too");
    await send("/ok");
    assert.equal(server.requests.at(-1)?.headers.traceparent, undefined);
    assert.equal(server.requests.at(-1)?.headers.tracestate, undefined);
  });

  it('payload "raw": the payload bytes as they are, signed', async () => {
    const outcome = await delivery.send(testEndpoint(`${server.origin}/ok`, { payload: "raw" }), envelope, 1);
    assert.equal(outcome.kind, "delivered");
    const received = server.requests.at(-1);
    assert.ok(received);
    assert.deepEqual(new Uint8Array(received.body), envelope.data);
    assert.equal(received.headers["content-type"], "application/json");
    const verified = new Webhook(TEST_SECRET).verify(received.body, received.headers as Record<string, string>);
    assert.deepEqual(verified, { order: 7, note: "ünïcødé" });
  });

  it("reuses the keep-alive connection for sequential attempts", async () => {
    await send("/ok");
    const before = connections;
    for (let i = 0; i < 5; i++) assert.equal((await send("/ok")).kind, "delivered");
    assert.equal(connections, before);
  });

  it("204: delivered", async () => {
    const outcome = await send("/no-content");
    assert.equal(outcome.kind, "delivered");
    assert.equal(outcome.attempt.status, 204);
  });

  for (const status of [500, 502, 400, 404]) {
    it(`${status}: retry on the schedule (no delay), http_status`, async () => {
      const outcome = await send(`/status/${status}`);
      assert.equal(outcome.kind, "retry");
      assert.equal(outcome.kind === "retry" ? outcome.delayMs : "n/a", undefined);
      assert.equal(outcome.attempt.status, status);
      assert.equal(outcome.attempt.errorClass, "http_status");
      assert.equal(outcome.attempt.responseBody, `status ${status}`);
    });
  }

  it("503 with Retry-After seconds: retry after that long", async () => {
    const outcome = await send("/busy");
    assert.deepEqual([outcome.kind, outcome.kind === "retry" && outcome.delayMs], ["retry", 7_000]);
  });

  it("503 with a huge Retry-After: capped at maxRetryAfterMs", async () => {
    const outcome = await send("/busy-long");
    assert.deepEqual([outcome.kind, outcome.kind === "retry" && outcome.delayMs], ["retry", 60_000]);
  });

  it("503 without Retry-After: plain retry", async () => {
    const outcome = await send("/status/503");
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.kind === "retry" ? outcome.delayMs : "n/a", undefined);
  });

  it("429 with Retry-After as an HTTP date: retry after about that long", async () => {
    const outcome = await send("/slow-down-date");
    assert.equal(outcome.kind, "retry");
    const delay = outcome.kind === "retry" ? (outcome.delayMs ?? 0) : 0;
    assert.ok(delay > 27_000 && delay <= 30_000, `delay ${delay}`);
  });

  it("429 without Retry-After: retry after at least minThrottleDelayMs", async () => {
    const outcome = await send("/slow-down");
    assert.deepEqual([outcome.kind, outcome.kind === "retry" && outcome.delayMs], ["retry", 1_000]);
    assert.equal(outcome.attempt.errorClass, "http_status");
  });

  it("429 with a short Retry-After: raised to minThrottleDelayMs", async () => {
    const outcome = await send("/slow-down", { policy: {} });
    assert.ok(outcome.kind === "retry" && (outcome.delayMs ?? 0) >= 1_000);
  });

  it("410: gone", async () => {
    const outcome = await send("/status/410");
    assert.equal(outcome.kind, "gone");
  });

  it("301: retry with errorClass redirect; the Location is not requested", async () => {
    const outcome = await send("/moved");
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "redirect");
    assert.equal(outcome.attempt.status, 301);
    assert.match(outcome.attempt.errorMessage ?? "", /not followed/);
    assert.equal(redirectTarget.requests.length, 0);
  });

  it("a server that never answers: timeout by the attempt deadline, retry after minThrottleDelayMs", async () => {
    const startedAt = Date.now();
    const outcome = await withDeadline("attempt", send("/never", { policy: { timeoutMs: 400 } }), 5_000);
    assert.ok(Date.now() - startedAt >= 350, "not before the attempt deadline");
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "timeout");
    assert.equal(outcome.kind === "retry" ? outcome.delayMs : 0, 1_000);
  });

  it("connection refused: retry, errorClass connect", async () => {
    const outcome = await delivery.send(testEndpoint(`http://127.0.0.1:${refusedPort}/`), envelope, 1);
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "connect");
    assert.match(outcome.attempt.errorMessage ?? "", /ECONNREFUSED/);
  });

  it("a body over the cap: truncated at 64 KiB and the connection dropped, not drained", async () => {
    const outcome = await withDeadline("attempt", send("/big"), 5_000);
    assert.equal(outcome.kind, "delivered");
    assert.equal(outcome.attempt.responseBodyTruncated, true);
    assert.equal(outcome.attempt.responseBody?.length, 64 * 1024);
    assert.ok(bigBodyClosed);
    await withDeadline("server side of the connection closing", bigBodyClosed, 5_000);
  });

  it("a body that stalls: ends by the body timeout, a failed attempt although the status was 200", async () => {
    const startedAt = Date.now();
    const outcome = await withDeadline("attempt", send("/stall-body"), 5_000);
    assert.ok(Date.now() - startedAt >= 250, "not before the body timeout");
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.status, 200);
    assert.equal(outcome.attempt.errorClass, "timeout");
    assert.equal(outcome.attempt.responseBody, "partial");
    assert.equal(outcome.attempt.responseBodyTruncated, true);
    assert.match(outcome.attempt.errorMessage ?? "", /body read failed/);
  });

  it("a slow-drip body that never ends: cut by the attempt deadline, a timeout whatever the status line", async () => {
    const startedAt = Date.now();
    const outcome = await withDeadline("attempt", send("/drip", { policy: { timeoutMs: 700 } }), 5_000);
    assert.ok(Date.now() - startedAt >= 650, "not before the attempt deadline");
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "timeout");
    assert.equal(outcome.attempt.responseBodyTruncated, true);
    assert.match(outcome.attempt.errorMessage ?? "", /deadline/);
  });

  it("an invalid URL is rejected, not thrown", async () => {
    const outcome = await delivery.send(testEndpoint("not a url"), envelope, 1);
    assert.equal(outcome.kind, "rejected");
    assert.match(outcome.attempt.errorMessage ?? "", /not a valid URL/);
  });

  it("an endpoint whose secrets all expired is rejected", async () => {
    const endpoint = testEndpoint(`${server.origin}/ok`, {
      secrets: [{ secret: TEST_SECRET, expiresAt: "2001-01-01T00:00:00Z" }],
    });
    const outcome = await delivery.send(endpoint, envelope, 1);
    assert.equal(outcome.kind, "rejected");
    assert.match(outcome.attempt.errorMessage ?? "", /expired/);
  });

  it("an aborted attempt (shutdown) is a retry", async () => {
    const controller = new AbortController();
    const pending = delivery.send(testEndpoint(`${server.origin}/never`), envelope, 1, { signal: controller.signal });
    setImmediate(() => controller.abort());
    const outcome = await withDeadline("aborted attempt", pending, 5_000);
    assert.equal(outcome.kind, "retry");
    assert.notEqual(outcome.attempt.errorClass, "timeout");
  });

  it("shutdown mid-body: the status line still answers (delivered), the body error recorded", async () => {
    const controller = new AbortController();
    const pending = delivery.send(testEndpoint(`${server.origin}/drip`), envelope, 1, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 150);
    const outcome = await withDeadline("aborted attempt", pending, 5_000);
    assert.equal(outcome.kind, "delivered");
    assert.equal(outcome.attempt.status, 200);
    assert.equal(outcome.attempt.responseBodyTruncated, true);
    assert.equal(outcome.attempt.errorMessage, "response body read failed: shutting down");
  });

  it("a shutdown signal that was already aborted: retry, nothing sent", async () => {
    const received = server.requests.length;
    const outcome = await delivery.send(testEndpoint(`${server.origin}/ok`), envelope, 1, {
      signal: AbortSignal.abort(),
    });
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "network");
    assert.equal(server.requests.length, received);
  });

  it("maxResponseBodyBytes caps the recorded body", async () => {
    const capped = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] }, maxResponseBodyBytes: 4 });
    try {
      const outcome = await capped.send(testEndpoint(`${server.origin}/ok`), envelope, 1);
      assert.equal(outcome.kind, "delivered");
      assert.equal(outcome.attempt.responseBody, "than");
      assert.equal(outcome.attempt.responseBodyTruncated, true);
      assert.equal(outcome.attempt.errorMessage, undefined);
    } finally {
      await capped.close();
    }
  });

  it('repeated response headers are joined with ", "; Retry-After is read from the first', async () => {
    const repeated = await startServer((_req, res) => {
      res.setHeader("x-many", ["a", "b"]);
      res.setHeader("retry-after", ["3", "9"]);
      res.writeHead(503).end();
    });
    try {
      const outcome = await delivery.send(testEndpoint(`${repeated.origin}/`), envelope, 1);
      assert.equal(outcome.attempt.responseHeaders?.["x-many"], "a, b");
      assert.equal(outcome.attempt.responseHeaders?.["retry-after"], "3, 9");
      assert.deepEqual([outcome.kind, outcome.kind === "retry" && outcome.delayMs], ["retry", 3_000]);
    } finally {
      await repeated.close();
    }
  });

  it("a shared shutdown signal has no listeners left once attempts settle, whatever their end", async () => {
    const signal = new AbortController().signal;
    const outcomes = await withDeadline(
      "attempts",
      Promise.all([
        delivery.send(testEndpoint(`${server.origin}/ok`), envelope, 1, { signal }),
        delivery.send(testEndpoint(`${server.origin}/status/500`), envelope, 1, { signal }),
        delivery.send(testEndpoint(`${server.origin}/big`), envelope, 1, { signal }),
        delivery.send(testEndpoint(`${server.origin}/never`, { policy: { timeoutMs: 200 } }), envelope, 1, { signal }),
        delivery.send(testEndpoint(`${server.origin}/drip`, { policy: { timeoutMs: 200 } }), envelope, 1, { signal }),
        delivery.send(testEndpoint(`http://127.0.0.1:${refusedPort}/`), envelope, 1, { signal }),
        delivery.send(testEndpoint("not a url"), envelope, 1, { signal }),
      ]),
      5_000,
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.kind),
      ["delivered", "retry", "delivered", "retry", "retry", "retry", "rejected"],
    );
    assert.equal(getEventListeners(signal, "abort").length, 0);
  });
});

describe("createHttpDelivery: the attempt deadline before a connection exists", () => {
  it("slow DNS: the attempt ends at its deadline, and the request is not sent once the lookup answers", async () => {
    const server = await startServer((_req, res) => res.end("ok"));
    let lookupsDone = 0;
    const answerLookup = Promise.withResolvers<void>();
    const resolve: ResolveHost = async () => {
      await answerLookup.promise; // DNS answers only after the attempt has given up
      lookupsDone++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] }, resolve });
    try {
      const startedAt = Date.now();
      const outcome = await withDeadline(
        "attempt",
        delivery.send(
          testEndpoint(`http://slow-dns.test:${server.port}/`, { policy: { timeoutMs: 150 } }),
          envelope,
          1,
        ),
        5_000,
      );
      assert.ok(Date.now() - startedAt >= 140, "not before the attempt deadline");
      assert.equal(lookupsDone, 0, "the attempt ended while DNS had not answered");
      answerLookup.resolve();
      assert.equal(outcome.kind, "retry");
      assert.equal(outcome.attempt.errorClass, "timeout");
      assert.equal(outcome.attempt.errorMessage, "attempt deadline of 150 ms exceeded");
      while (lookupsDone === 0) await new Promise((done) => setTimeout(done, 20));
      await new Promise((done) => setTimeout(done, 100));
      assert.equal(server.requests.length, 0);
    } finally {
      await delivery.close();
      await server.close();
    }
  });
});
