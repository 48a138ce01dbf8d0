import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { privateRedis, uniqueName, waitFor } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { standardPayload, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const auth = { authorization: `Bearer ${INGEST_KEY}` };
const json = { ...auth, "content-type": "application/json" };

describe("HTTP ingest API", () => {
  let receiver: WebhookReceiver;
  let gateway: Gateway;
  before(async () => {
    receiver = await startWebhookReceiver(TEST_SECRET);
    gateway = await startTestGateway(ingestConfig(`${receiver.url}/hooks`));
  });
  after(async () => {
    await gateway.stop();
    await receiver.close();
  });

  const post = (path: string, init: { headers?: Record<string, string>; body?: string | Uint8Array }) =>
    fetch(`${gateway.url}${path}`, { method: "POST", ...init });

  it("accepts one event with 202 once durable and delivers it signed (verified with the standardwebhooks library)", async () => {
    const id = uniqueName("evt");
    const response = await post("/v1/events", {
      headers: json,
      body: JSON.stringify({ id, type: "order.created", data: { amount: 7 }, key: "customer-1" }),
    });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { id, deliveries: 1, duplicate: false });
    const arrived = await waitForId(receiver, id);
    assert.equal(arrived.verified, true);
    assert.equal(arrived.headers["content-type"], "application/json");
    const structured = standardPayload(arrived.body);
    assert.equal(structured.type, "order.created");
    assert.deepEqual(JSON.parse(structured.data.toString()), { amount: 7 });
  });

  it("answers a repeated event id with the original result and delivers it once", async () => {
    const id = uniqueName("evt");
    const body = JSON.stringify({ id, type: "order.created", data: { n: 1 } });
    const first = await post("/v1/events", { headers: json, body });
    const second = await post("/v1/events", { headers: json, body });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await second.json(), { id, deliveries: 1, duplicate: true });
    await waitForId(receiver, id);
    // A later event proves the pipeline moved on; the repeat never produced a second delivery.
    const marker = uniqueName("evt");
    await post("/v1/events", { headers: json, body: JSON.stringify({ id: marker, type: "t", data: 1 }) });
    await waitForId(receiver, marker);
    assert.equal(receiver.received.filter((r) => r.headers["webhook-id"] === id).length, 1);
  });

  it("keeps a binary-mode (CloudEvents) payload byte-exact", async () => {
    const id = uniqueName("evt");
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x10, 0x80, 0x0a]);
    const response = await post("/v1/events", {
      headers: { ...auth, "ce-type": "blob.stored", "ce-id": id, "content-type": "application/octet-stream" },
      body: bytes,
    });
    assert.equal(response.status, 202);
    const arrived = await waitForId(receiver, id);
    assert.deepEqual(arrived.body, bytes);
    assert.equal(arrived.headers["content-type"], "application/octet-stream");
  });

  it("accepts a batch as a whole, or rejects it as a whole naming the bad event", async () => {
    const ids = [uniqueName("evt"), uniqueName("evt")];
    const ok = await post("/v1/events/batch", {
      headers: json,
      body: JSON.stringify({ events: ids.map((id) => ({ id, type: "batch.item", data: { id } })) }),
    });
    assert.equal(ok.status, 202);
    const result = (await ok.json()) as { events: { id: string }[] };
    assert.deepEqual(
      result.events.map((event) => event.id),
      ids,
    );
    await Promise.all(ids.map((id) => waitForId(receiver, id)));
    const bad = await post("/v1/events/batch", {
      headers: json,
      body: JSON.stringify({
        events: [
          { id: uniqueName("evt"), type: "ok" },
          { id: "x", data: {} },
        ],
      }),
    });
    assert.equal(bad.status, 400);
    const error = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(error.error.code, "INGEST_INVALID");
    assert.match(error.error.message, /events\[1\]\.type is required/);
  });

  it("refuses a missing or wrong API key with 401 and a JSON error", async () => {
    for (const headers of [
      { "content-type": "application/json" },
      { ...json, authorization: "Bearer nope-nope-nope" },
    ]) {
      const response = await post("/v1/events", { headers, body: JSON.stringify({ type: "t" }) });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "UNAUTHORIZED");
    }
  });

  it("answers malformed input with 400 saying what is wrong", async () => {
    const cases: [string, Record<string, string>, string, RegExp][] = [
      ["not JSON", json, "{oops", /not valid JSON/],
      ["no type", json, JSON.stringify({ data: 1 }), /type is required/],
      ["unknown field", json, JSON.stringify({ type: "t", colour: "red" }), /unknown field\(s\): colour/],
      ["bad base64", json, JSON.stringify({ type: "t", dataBase64: "***" }), /not valid base64/],
      ["bad time", json, JSON.stringify({ type: "t", time: "yesterday" }), /RFC 3339/],
      ["wrong content type", { ...auth, "content-type": "text/plain" }, "hello", /expected a JSON body/],
    ];
    for (const [name, headers, body, message] of cases) {
      const response = await post("/v1/events", { headers, body });
      assert.equal(response.status, 400, name);
      const error = (await response.json()) as { error: { message: string } };
      assert.match(error.error.message, message, name);
    }
  });

  it("refuses control characters in ids, types and content types, and too-deep JSON, with 400 naming the field", async () => {
    const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const cases: [string, string, Record<string, string>, string, RegExp][] = [
      [
        "CR/LF in an id",
        "/v1/events",
        json,
        JSON.stringify({ id: "a\r\nx-evil: 1", type: "t" }),
        /event\.id contains a control character/,
      ],
      [
        "LF in a type",
        "/v1/events",
        json,
        JSON.stringify({ type: "order.created\n" }),
        /event\.type contains a control character/,
      ],
      [
        "CR/LF in a content type",
        "/v1/events",
        json,
        JSON.stringify({ type: "t", contentType: "text/plain\r\nx: y", dataBase64: "" }),
        /event\.contentType contains a control character/,
      ],
      [
        "NUL in a batch item's id",
        "/v1/events/batch",
        json,
        JSON.stringify({ events: [{ type: "t" }, { id: "a\u0000b", type: "t" }] }),
        /events\[1\]\.id contains a control character/,
      ],
      [
        "a deeply nested body",
        "/v1/events",
        json,
        `{"type":"t","data":${deep(10_000)}}`,
        /the body nests arrays\/objects deeper than 64 levels/,
      ],
      [
        "a deeply nested batch",
        "/v1/events/batch",
        json,
        `{"events":[{"type":"t","data":${deep(65)}}]}`,
        /deeper than 64 levels/,
      ],
      [
        "a deeply nested binary-mode JSON payload",
        "/v1/events",
        { ...auth, "ce-type": "t", "content-type": "application/json" },
        deep(5000),
        /the body nests/,
      ],
    ];
    for (const [name, path, headers, body, message] of cases) {
      const response = await post(path, { headers, body });
      assert.equal(response.status, 400, name);
      const error = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.error.code, "INGEST_INVALID", name);
      assert.match(error.error.message, message, name);
    }
    // 64 levels is still fine.
    const ok = await post("/v1/events", { headers: json, body: `{"type":"t","data":${deep(63)}}` });
    assert.equal(ok.status, 202);
  });

  it("refuses a body over the limit with 413, also when chunked without a content-length", async () => {
    const big = JSON.stringify({ type: "t", data: "x".repeat(70 * 1024) });
    const response = await post("/v1/events", { headers: json, body: big });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "PAYLOAD_TOO_LARGE");
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("y".repeat(8 * 1024)));
        controller.close();
      },
    });
    const chunked = await fetch(`${gateway.url}/v1/events`, {
      method: "POST",
      headers: json,
      body: chunks,
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    const ready = await fetch(`${gateway.url}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    for (const name of [
      "hookyard_events_in_total",
      "hookyard_delivery_attempts_total",
      "hookyard_attempt_duration_seconds_bucket",
      "hookyard_queue_depth",
      "hookyard_breaker_state",
      "hookyard_dead_letters",
      "hookyard_events_rejected_total",
    ]) {
      assert.match(metrics, new RegExp(name), name);
    }
    const unknown = await fetch(`${gateway.url}/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  });
});

describe("HTTP ingest when Redis goes away and comes back", () => {
  it("answers 503 with Retry-After while the event cannot be made durable, and 202 again once Redis is back, without a restart", async () => {
    const redis = await privateRedis();
    await redis.start();
    const receiver = await startWebhookReceiver(TEST_SECRET);
    const gateway = await startTestGateway(
      ingestConfig(`${receiver.url}/hooks`, { redis: { url: redis.url, prefix: uniqueName("hy") } }),
    );
    const send = (id: string) =>
      fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ id, type: "t", data: 1 }),
      });
    try {
      assert.equal((await send(uniqueName("evt"))).status, 202);
      await redis.stop("SIGKILL");
      const refused = await send(uniqueName("evt"));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "5");
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "UNAVAILABLE");
      assert.equal((await fetch(`${gateway.url}/readyz`)).status, 503, "not ready while the store is down");
      await redis.start();
      const id = uniqueName("evt");
      await waitFor("ingest accepting again", async () => ((await send(id)).status === 202 ? true : undefined), {
        timeoutMs: 15_000,
        intervalMs: 200,
      });
      await waitForId(receiver, id);
    } finally {
      await gateway.stop();
      await receiver.close();
      await redis.stop("SIGKILL");
    }
  });
});

describe("HTTP ingest on Redis: a waiting worker gets the work pushed", () => {
  it("delivers an event through a pushed lease, no claim between, and counts it (hookyard_pushed_leases_total)", async () => {
    const redis = await privateRedis();
    await redis.start();
    const prefix = uniqueName("hy");
    const receiver = await startWebhookReceiver(TEST_SECRET);
    const gateway = await startTestGateway(
      ingestConfig(`${receiver.url}/hooks`, { redis: { url: redis.url, prefix } }),
    );
    const admin = new Redis(redis.url);
    try {
      // The worker's first claim found nothing and registered it as waiting.
      await waitFor("the worker registered as waiting", async () =>
        Object.keys(await admin.hgetall(`{${prefix}}:idle`)).length === 1 ? true : undefined,
      );
      await admin.config("RESETSTAT");
      const id = uniqueName("evt");
      const response = await fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ id, type: "order.created", data: { n: 1 } }),
      });
      assert.equal(response.status, 202);
      assert.equal((await waitForId(receiver, id)).verified, true);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      assert.match(metrics, /hookyard_pushed_leases_total\{result="sent"\} 1\n/);
      // Calls since the reset: the enqueue (which pushed) and settles; a claim would have been an fcall too, but
      // one the worker makes only after its idle wait (5 s) or a wake-up, and nothing woke it.
      const stats = await admin.info("commandstats");
      assert.match(stats, /cmdstat_spublish:calls=1,/, "one publish: the push; no wake-up");
    } finally {
      admin.disconnect();
      await gateway.stop();
      await receiver.close();
      await redis.stop("SIGKILL");
    }
  });
});

async function waitForId(receiver: WebhookReceiver, id: string) {
  for (;;) {
    const found = receiver.received.find((request) => request.headers["webhook-id"] === id);
    if (found) return found;
    await receiver.waitFor(receiver.received.length + 1);
  }
}
