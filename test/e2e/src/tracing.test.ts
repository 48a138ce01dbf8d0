import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Webhook } from "standardwebhooks";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { type JaegerSpan, parentOf, tagOf, tracesOfService, waitForTrace } from "./jaeger-query.js";
import { kafkaTestClient } from "./kafka-client.js";
import { kafkaFixture } from "./kafka-fixture.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

/**
 * OpenTelemetry end to end, read back from a real Jaeger: a producer's W3C traceparent on a Kafka message (or an
 * ingest request, or an inbound webhook) continues through Hookyard's spans to the customer endpoint's request
 * (and the sink's message), across retries.
 */

const brokers = requireBrokers("redis", "kafka", "jaeger");

/** A producer's span: a fresh trace id and span id, sampled. */
function producerContext() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01`, tracestate: "producer=p1" };
}

function idsOf(traceparent: string | undefined): { traceId: string; spanId: string; flags: string } {
  const [version, traceId, spanId, flags] = (traceparent ?? "").split("-");
  assert.equal(version, "00", `a version 00 traceparent: ${traceparent}`);
  return { traceId: traceId ?? "", spanId: spanId ?? "", flags: flags ?? "" };
}

const named = (spans: readonly JaegerSpan[], prefix: string) => spans.filter((s) => s.operationName.startsWith(prefix));

function telemetry(serviceName: string) {
  return { enabled: true, endpoint: brokers.jaegerOtlpEndpoint, serviceName, sampleRatio: 1 };
}

describe("tracing: a producer's trace runs through Hookyard to the endpoint, read back from Jaeger", () => {
  let receiver: WebhookReceiver;
  /** Each path's first request answers 500 when the path ends in /flaky, later ones 200. */
  const seen = new Map<string, number>();
  before(async () => {
    receiver = await startWebhookReceiver(TEST_SECRET, {
      status: (path) => {
        const count = (seen.get(path) ?? 0) + 1;
        seen.set(path, count);
        return path.endsWith("/flaky") && count === 1 ? 500 : 200;
      },
    });
  });
  after(() => receiver.close());

  const requestsTo = (path: string) => receiver.received.filter((request) => request.path === path);
  async function waitForRequests(path: string, count: number): Promise<ReceivedRequest[]> {
    while (requestsTo(path).length < count) await receiver.waitFor(receiver.received.length + 1, 30_000);
    return requestsTo(path);
  }

  it("Kafka message with traceparent → accept span → two attempt spans (500, then 200) in the same trace", async () => {
    const fixture = await kafkaFixture();
    const path = `/${uniqueName("kafka")}/flaky`;
    const prefix = uniqueName("hy-trace");
    const serviceName = uniqueName("hookyard-trace");
    const producer = producerContext();
    let gateway: Gateway | undefined;
    try {
      gateway = await startTestGateway({
        server: { host: "127.0.0.1", port: 0 },
        redis: { url: brokers.redisUrl, prefix },
        egress: { allowCidrs: ["127.0.0.0/8"] },
        telemetry: telemetry(serviceName),
        endpoints: [
          {
            id: "receiver",
            url: `${receiver.url}${path}`,
            secrets: [TEST_SECRET],
            policy: { retry: { schedule: [0, "100ms"] } },
          },
        ],
        subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
        sources: [fixture.source("orders")],
      });
      const id = uniqueName("evt");
      await fixture.publish([
        {
          id,
          type: "order.created",
          data: Buffer.from('{"order":1}'),
          headers: { traceparent: producer.traceparent, tracestate: producer.tracestate },
        },
      ]);
      const [first, second] = await waitForRequests(path, 2);
      await gateway.stop(); // flushes the last spans
      gateway = undefined;

      const sent = [first, second].map((request) => idsOf(request?.headers.traceparent));
      for (const ids of sent) {
        assert.equal(ids.traceId, producer.traceId, "the webhook request continues the producer's trace");
        assert.notEqual(ids.spanId, producer.spanId, "with Hookyard's own span as parent");
        assert.equal(ids.flags, "01");
      }
      assert.notEqual(sent[0]?.spanId, sent[1]?.spanId, "one span per attempt");
      assert.equal(first?.headers.tracestate, producer.tracestate, "tracestate passed on");

      const spans = await waitForTrace(
        brokers.jaegerQueryUrl,
        producer.traceId,
        "the accept span and two attempt spans",
        (all) => named(all, "accept ").length === 1 && named(all, "POST").length === 2,
      );
      const [accept] = named(spans, "accept ");
      assert.ok(accept);
      assert.equal(accept.operationName, "accept kafka:orders");
      assert.equal(parentOf(accept), producer.spanId, "accept is a child of the producer's span");
      assert.equal(tagOf(accept, "span.kind"), "consumer");
      assert.equal(tagOf(accept, "messaging.system"), "kafka");
      assert.equal(tagOf(accept, "hookyard.event.id"), id);
      const attempts = named(spans, "POST").sort(
        (a, b) => Number(tagOf(a, "hookyard.delivery.attempt")) - Number(tagOf(b, "hookyard.delivery.attempt")),
      );
      assert.deepEqual(
        attempts.map((span) => [
          tagOf(span, "hookyard.delivery.attempt"),
          tagOf(span, "http.response.status_code"),
          tagOf(span, "error.type") ?? null,
        ]),
        [
          [1, 500, "500"],
          [2, 200, null],
        ],
      );
      for (const attempt of attempts) {
        assert.equal(parentOf(attempt), accept.spanID, "each attempt is a child of the accept span");
        assert.equal(tagOf(attempt, "span.kind"), "client");
        assert.equal(tagOf(attempt, "hookyard.endpoint.id"), "receiver");
        assert.equal(tagOf(attempt, "server.address"), "127.0.0.1");
        assert.equal(tagOf(attempt, "url.full"), undefined, "the URL (and any token in it) is not recorded");
      }
      assert.equal(tagOf(attempts[1] as JaegerSpan, "http.request.resend_count"), 1);
      assert.deepEqual(
        new Set(sent.map((ids) => ids.spanId)),
        new Set(attempts.map((span) => span.spanID)),
        "each request carried its own attempt span's id",
      );
      const traces = await tracesOfService(brokers.jaegerQueryUrl, serviceName);
      assert.ok(
        traces.some((trace) => trace.traceID === producer.traceId),
        `/api/traces?service=${serviceName} lists the trace`,
      );
    } finally {
      await gateway?.stop();
      await fixture.cleanup();
      await deleteHookyardKeys(brokers.redisUrl, prefix);
    }
  });

  it("ingest API request with traceparent → accept (server) span → attempt span, same trace", async () => {
    const path = `/${uniqueName("ingest")}`;
    const prefix = uniqueName("hy-trace");
    const producer = producerContext();
    const gateway = await startTestGateway(
      ingestConfig(`${receiver.url}${path}`, {
        redis: { url: brokers.redisUrl, prefix },
        telemetry: telemetry(uniqueName("hookyard-trace")),
      }),
    );
    try {
      const response = await fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${INGEST_KEY}`,
          "content-type": "application/json",
          traceparent: producer.traceparent,
        },
        body: JSON.stringify({ type: "invoice.paid", data: { amount: 12 } }),
      });
      assert.equal(response.status, 202, await response.text());
      const [request] = await waitForRequests(path, 1);
      await gateway.stop();
      assert.equal(idsOf(request?.headers.traceparent).traceId, producer.traceId);
      const spans = await waitForTrace(
        brokers.jaegerQueryUrl,
        producer.traceId,
        "the ingest accept span and the attempt span",
        (all) => named(all, "accept http").length === 1 && named(all, "POST").length === 1,
      );
      const [accept] = named(spans, "accept http");
      const [attempt] = named(spans, "POST");
      assert.equal(parentOf(accept as JaegerSpan), producer.spanId);
      assert.equal(tagOf(accept as JaegerSpan, "span.kind"), "server");
      assert.equal(parentOf(attempt as JaegerSpan), accept?.spanID);
      assert.equal(idsOf(request?.headers.traceparent).spanId, attempt?.spanID);
    } finally {
      await gateway.stop();
      await deleteHookyardKeys(brokers.redisUrl, prefix);
    }
  });

  it("inbound webhook → request span → accept → sink publish span; the Kafka message carries its traceparent", async () => {
    const topic = uniqueName("e2e-trace-sink");
    const kafka = kafkaTestClient(brokers.kafkaBrokers);
    await kafka.createTopic(topic);
    const prefix = uniqueName("hy-trace");
    const producer = producerContext();
    const gateway = await startTestGateway({
      server: { host: "127.0.0.1", port: 0 },
      redis: { url: brokers.redisUrl, prefix },
      telemetry: telemetry(uniqueName("hookyard-trace")),
      ingress: {
        routes: [
          {
            id: "partner",
            path: "/ingress/partner",
            verifier: { type: "standard-webhooks", secrets: [TEST_SECRET] },
            defaultTargets: ["kafka-out"],
          },
        ],
      },
      sinks: [{ id: "kafka-out", type: "kafka", config: { brokers: [...brokers.kafkaBrokers], topic } }],
    });
    try {
      const id = uniqueName("msg");
      const body = JSON.stringify({ type: "user.created", data: { name: "Zoë" } });
      const timestamp = new Date();
      const response = await fetch(`${gateway.url}/ingress/partner`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
          "webhook-signature": new Webhook(TEST_SECRET).sign(id, timestamp, body),
          traceparent: producer.traceparent,
        },
        body,
      });
      assert.equal(response.status, 200, await response.text());
      const [message] = await kafka.readUntil(topic, (records) => records.length > 0, 30_000);
      await gateway.stop();
      const carried = idsOf(message?.headers.traceparent);
      assert.equal(carried.traceId, producer.traceId, "the sink message continues the sender's trace");
      const spans = await waitForTrace(
        brokers.jaegerQueryUrl,
        producer.traceId,
        "the request, accept and send spans",
        (all) => named(all, "POST /ingress").length === 1 && named(all, "send ").length === 1,
      );
      const [request] = named(spans, "POST /ingress/partner");
      const [accept] = named(spans, "accept ingress:partner");
      const [send] = named(spans, "send kafka-out");
      assert.ok(request && accept && send, spans.map((span) => span.operationName).join(", "));
      assert.equal(parentOf(request), producer.spanId);
      assert.equal(tagOf(request, "span.kind"), "server");
      assert.equal(tagOf(request, "hookyard.ingress.outcome"), "accepted");
      assert.equal(tagOf(request, "http.response.status_code"), 200);
      assert.equal(parentOf(accept), request.spanID);
      assert.equal(parentOf(send), accept.spanID);
      assert.equal(tagOf(send, "span.kind"), "producer");
      assert.equal(carried.spanId, send.spanID, "the message carries the publish span's id");
    } finally {
      await gateway.stop();
      await kafka.deleteTopic(topic).catch(() => undefined);
      await kafka.close();
      await deleteHookyardKeys(brokers.redisUrl, prefix);
    }
  });

  it("tracing off adds nothing: the producer's traceparent passes through unchanged, none is made up", async () => {
    const fixture = await kafkaFixture();
    const path = `/${uniqueName("off")}`;
    const prefix = uniqueName("hy-trace");
    const producer = producerContext();
    const gateway = await startTestGateway({
      server: { host: "127.0.0.1", port: 0 },
      redis: { url: brokers.redisUrl, prefix },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [{ id: "receiver", url: `${receiver.url}${path}`, secrets: [TEST_SECRET] }],
      subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
      sources: [fixture.source()],
    });
    try {
      const traced = uniqueName("traced");
      const plain = uniqueName("plain");
      await fixture.publish([
        {
          id: traced,
          type: "order.created",
          data: Buffer.from("{}"),
          headers: { traceparent: producer.traceparent, tracestate: producer.tracestate },
        },
        { id: plain, type: "order.created", data: Buffer.from("{}") },
      ]);
      const requests = await waitForRequests(path, 2);
      const byId = new Map(requests.map((request) => [request.headers["webhook-id"], request]));
      assert.equal(byId.get(traced)?.headers.traceparent, producer.traceparent, "passed through as it came");
      assert.equal(byId.get(traced)?.headers.tracestate, producer.tracestate);
      assert.equal(byId.get(plain)?.headers.traceparent, undefined, "no trace context is made up");
      assert.equal(byId.get(plain)?.headers.tracestate, undefined);
    } finally {
      await gateway.stop();
      await fixture.cleanup();
      await deleteHookyardKeys(brokers.redisUrl, prefix);
    }
  });
});
