import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type Message, PubSub } from "@google-cloud/pubsub";
import type { Gateway } from "@hookyard/runtime";
import { privateRedis, requireBrokers, startTcpProxy, uniqueName, waitFor, withDeadline } from "@hookyard/test-brokers";
import { sign as signGithub } from "@octokit/webhooks-methods";
import { type ChannelModel, type ConsumeMessage, connect } from "amqplib";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { startTestGateway } from "./gateway-fixture.js";
import { kafkaTestClient } from "./kafka-client.js";

/**
 * Inbound webhooks signed by each provider's own library, POSTed to Hookyard and published onto a real broker:
 * the message body is byte-identical, its headers/attributes carry the event type and id, and ten replays of the
 * same request publish it once.
 */

const brokers = requireBrokers("redis", "kafka", "rabbitmq", "pubsub", "sqs");
const STRIPE_SECRET = "whsec_stripe-e2e-signing-secret";
const GITHUB_SECRET = "github-e2e-secret-value";
const STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SHOPIFY_SECRET = "shopify-e2e-client-secret";

interface Inbound {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function postTimes(gateway: Gateway, request: Inbound, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${gateway.url}${request.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...request.headers },
      body: request.body,
    });
    statuses.push(response.status);
    await response.body?.cancel();
  }
  return statuses;
}

function routeConfig(id: string, verifier: Record<string, unknown>, sink: string) {
  return { id, path: `/ingress/${id}`, verifier, defaultTargets: [sink] };
}

function gatewayConfig(routes: unknown[], sinks: unknown[]) {
  return {
    server: { host: "127.0.0.1", port: 0 },
    redis: { url: brokers.redisUrl, prefix: uniqueName("hy-ingress") },
    ingress: { routes },
    sinks,
  };
}

describe("ingress to brokers: signed webhooks published byte-identical, once", () => {
  it("Stripe (stripe library) → Kafka", async () => {
    const topic = uniqueName("e2e-in-stripe");
    const kafka = kafkaTestClient(brokers.kafkaBrokers);
    await kafka.createTopic(topic);
    let gateway: Gateway | undefined;
    try {
      gateway = await startTestGateway(
        gatewayConfig(
          [routeConfig("stripe", { type: "stripe", secrets: [STRIPE_SECRET] }, "kafka-in")],
          [{ id: "kafka-in", type: "kafka", config: { brokers: [...brokers.kafkaBrokers], topic } }],
        ),
      );
      const eventId = uniqueName("evt");
      const body = JSON.stringify({
        id: eventId,
        type: "invoice.paid",
        data: { object: { amount: 4200, note: "€ ✓" } },
      });
      const header = new Stripe("sk_test_unused").webhooks.generateTestHeaderString({
        payload: body,
        secret: STRIPE_SECRET,
      });
      const statuses = await postTimes(
        gateway,
        { path: "/ingress/stripe", headers: { "stripe-signature": header }, body },
        10,
      );
      assert.deepEqual(new Set(statuses), new Set([200]), `statuses ${statuses}`);
      const marker = uniqueName("evt");
      const markerBody = JSON.stringify({ id: marker, type: "marker", data: {} });
      const markerHeader = new Stripe("sk_test_unused").webhooks.generateTestHeaderString({
        payload: markerBody,
        secret: STRIPE_SECRET,
      });
      await postTimes(
        gateway,
        { path: "/ingress/stripe", headers: { "stripe-signature": markerHeader }, body: markerBody },
        1,
      );

      // Both, in whichever order (here and below): the two publish independently, and on a freshly started broker
      // the first one can be retried while the marker goes out at once. Seen with CI's fresh brokers.
      const seen = (records: readonly { headers: Readonly<Record<string, string>> }[], id: string) =>
        records.some((record) => record.headers["ce-id"] === id);
      const messages = await kafka.readUntil(
        topic,
        (records) => seen(records, marker) && seen(records, eventId),
        30_000,
      );
      const copies = messages.filter((message) => message.headers["ce-id"] === eventId);
      assert.equal(copies.length, 1, "ten replays published once");
      assert.equal(copies[0]?.value.toString(), body, "byte-identical body");
      assert.equal(copies[0]?.headers["ce-type"], "invoice.paid");
    } finally {
      await gateway?.stop();
      await kafka.deleteTopic(topic).catch(() => undefined);
      await kafka.close();
    }
  });

  it("GitHub (@octokit/webhooks-methods) → RabbitMQ", async () => {
    const model: ChannelModel = await connect(brokers.amqpUrl);
    const channel = await model.createChannel();
    const exchange = uniqueName("e2e-in-x");
    const queue = uniqueName("e2e-in-q");
    await channel.assertExchange(exchange, "topic", { durable: false, autoDelete: false });
    await channel.assertQueue(queue, { durable: false });
    await channel.bindQueue(queue, exchange, "#");
    const url = new URL(brokers.amqpUrl);
    const gateway = await startTestGateway(
      gatewayConfig(
        [routeConfig("github", { type: "github", secrets: [GITHUB_SECRET] }, "rabbit-in")],
        [
          {
            id: "rabbit-in",
            type: "rabbitmq",
            config: {
              url: `amqp://${url.host}`,
              username: "guest",
              password: "guest",
              exchange,
              routingKey: "github.{type}",
            },
          },
        ],
      ),
    );
    try {
      const delivery = uniqueName("gh");
      const body = JSON.stringify({ ref: "refs/heads/main", commits: [{ id: "abc", message: "fix: ünïcode" }] });
      const headers = {
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": await signGithub(GITHUB_SECRET, body),
      };
      const statuses = await postTimes(gateway, { path: "/ingress/github", headers, body }, 10);
      assert.ok(
        statuses.every((status) => status >= 200 && status < 300),
        `statuses ${statuses}`,
      );
      const marker = uniqueName("gh");
      await postTimes(
        gateway,
        {
          path: "/ingress/github",
          headers: {
            ...headers,
            "x-github-delivery": marker,
            "x-hub-signature-256": await signGithub(GITHUB_SECRET, "{}"),
          },
          body: "{}",
        },
        1,
      );
      const messages: ConsumeMessage[] = [];
      await withDeadline(
        "both events on the RabbitMQ queue",
        new Promise<void>((resolve) => {
          void channel.consume(queue, (message) => {
            if (!message) return;
            messages.push(message);
            const ids = new Set(messages.map((m) => m.properties.headers?.["ce-id"]));
            if (ids.has(marker) && ids.has(delivery)) resolve();
          });
        }),
        30_000,
      );
      const copies = messages.filter((message) => message.properties.headers?.["ce-id"] === delivery);
      assert.equal(copies.length, 1, "ten replays published once");
      assert.equal(copies[0]?.content.toString(), body);
      assert.equal(copies[0]?.properties.headers?.["ce-type"], "push");
      assert.equal(copies[0]?.fields.routingKey, "github.push");
    } finally {
      await gateway.stop();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await model.close();
    }
  });

  it("Standard Webhooks (standardwebhooks library) → Pub/Sub, binary-safe", async () => {
    const pubsub = new PubSub({
      projectId: brokers.pubsubProjectId,
      apiEndpoint: brokers.pubsubEmulatorHost,
      emulatorMode: true,
    });
    const [topic] = await pubsub.createTopic(uniqueName("e2e-in-topic"));
    const [subscription] = await topic.createSubscription(uniqueName("e2e-in-sub"), { ackDeadlineSeconds: 10 });
    const gateway = await startTestGateway(
      gatewayConfig(
        [routeConfig("standard", { type: "standard-webhooks", secrets: [STANDARD_SECRET] }, "pubsub-in")],
        [
          {
            id: "pubsub-in",
            type: "pubsub",
            config: { projectId: brokers.pubsubProjectId, emulatorHost: brokers.pubsubEmulatorHost, topic: topic.name },
          },
        ],
      ),
    );
    try {
      const webhook = new Webhook(STANDARD_SECRET);
      const eventId = uniqueName("msg");
      const body = JSON.stringify({ type: "user.created", data: { name: "Zoë" } });
      const signed = (id: string, payload: string): Inbound => {
        const timestamp = new Date();
        return {
          path: "/ingress/standard",
          headers: {
            "webhook-id": id,
            "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
            "webhook-signature": webhook.sign(id, timestamp, payload),
          },
          body: payload,
        };
      };
      const statuses = await postTimes(gateway, signed(eventId, body), 10);
      assert.ok(
        statuses.every((status) => status >= 200 && status < 300),
        `statuses ${statuses}`,
      );
      const marker = uniqueName("msg");
      await postTimes(gateway, signed(marker, JSON.stringify({ type: "marker" })), 1);
      const messages: Message[] = [];
      await withDeadline(
        "both events on the Pub/Sub subscription",
        new Promise<void>((resolve, reject) => {
          subscription.on("error", reject);
          subscription.on("message", (message: Message) => {
            messages.push(message);
            message.ack();
            const ids = new Set(messages.map((m) => m.attributes["ce-id"]));
            if (ids.has(marker) && ids.has(eventId)) resolve();
          });
        }),
        30_000,
      );
      const copies = messages.filter((message) => message.attributes["ce-id"] === eventId);
      assert.equal(copies.length, 1, "ten replays published once");
      assert.equal(copies[0]?.data.toString(), body);
      assert.equal(copies[0]?.attributes["ce-type"], "user.created");
    } finally {
      await gateway.stop();
      await subscription.close();
      await subscription.delete();
      await topic.delete();
      await pubsub.close();
    }
  });

  it("Shopify (documented HMAC) → SQS", async () => {
    const sqs = new SQSClient({
      endpoint: brokers.sqsEndpoint,
      region: brokers.sqsRegion,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const queueName = uniqueName("e2e-in-shopify");
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const gateway = await startTestGateway(
      gatewayConfig(
        [routeConfig("shopify", { type: "shopify", secrets: [SHOPIFY_SECRET] }, "sqs-in")],
        [
          {
            id: "sqs-in",
            type: "sqs",
            config: {
              region: brokers.sqsRegion,
              endpoint: brokers.sqsEndpoint,
              credentials: { accessKeyId: "x", secretAccessKey: "x" },
              queueName,
            },
          },
        ],
      ),
    );
    try {
      const webhookId = uniqueName("shop");
      const body = JSON.stringify({ id: 820982911946154500, email: "jon@example.com", total_price: "199.65" });
      const signed = (id: string, payload: string): Inbound => ({
        path: "/ingress/shopify",
        headers: {
          "x-shopify-topic": "orders/create",
          "x-shopify-webhook-id": id,
          "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(payload).digest("base64"),
        },
        body: payload,
      });
      const statuses = await postTimes(gateway, signed(webhookId, body), 10);
      assert.ok(
        statuses.every((status) => status >= 200 && status < 300),
        `statuses ${statuses}`,
      );
      const marker = uniqueName("shop");
      await postTimes(gateway, signed(marker, "{}"), 1);
      const received: { body: string; id: string | undefined; type: string | undefined }[] = [];
      await withDeadline(
        "both events on the SQS queue",
        (async () => {
          const has = (id: string) => received.some((message) => message.id === id);
          while (!has(marker) || !has(webhookId)) {
            const reply = await sqs.send(
              new ReceiveMessageCommand({
                QueueUrl,
                WaitTimeSeconds: 1,
                MaxNumberOfMessages: 10,
                MessageAttributeNames: ["All"],
              }),
            );
            for (const message of reply.Messages ?? []) {
              received.push({
                body: message.Body ?? "",
                id: message.MessageAttributes?.["ce-id"]?.StringValue,
                type: message.MessageAttributes?.["ce-type"]?.StringValue,
              });
            }
          }
        })(),
        30_000,
      );
      const copies = received.filter((message) => message.id === webhookId);
      assert.equal(copies.length, 1, "ten replays published once");
      assert.equal(copies[0]?.body, body);
      assert.equal(copies[0]?.type, "orders/create");
    } finally {
      await gateway.stop();
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
      sqs.destroy();
    }
  });
});

describe("ingress with the target broker down", () => {
  let model: ChannelModel;
  before(async () => {
    model = await connect(brokers.amqpUrl);
  });
  after(() => model.close());

  it("answers 2xx only once durable in Redis, and publishes every accepted event exactly once when the broker is back", async () => {
    const channel = await model.createChannel();
    const queue = uniqueName("e2e-down-q");
    await channel.assertQueue(queue, { durable: false });
    const target = new URL(brokers.amqpUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
    const gateway = await startTestGateway(
      gatewayConfig(
        [routeConfig("github", { type: "github", secrets: [GITHUB_SECRET] }, "rabbit-down")],
        [
          {
            id: "rabbit-down",
            type: "rabbitmq",
            // The default exchange routes by queue name: the routing key is the queue.
            config: {
              url: `amqp://${proxy.address}`,
              username: "guest",
              password: "guest",
              exchange: "",
              routingKey: queue,
            },
          },
        ],
      ),
    );
    try {
      await proxy.down();
      const ids = Array.from({ length: 20 }, () => uniqueName("gh-down"));
      for (const id of ids) {
        const body = JSON.stringify({ id });
        const headers = {
          "x-github-event": "ping",
          "x-github-delivery": id,
          "x-hub-signature-256": await signGithub(GITHUB_SECRET, body),
        };
        const [status] = await postTimes(gateway, { path: "/ingress/github", headers, body }, 1);
        assert.ok(
          status !== undefined && status >= 200 && status < 300,
          `accepted while the broker is down (status ${status})`,
        );
      }
      await proxy.up();
      const seen = new Map<string, number>();
      await withDeadline(
        "every accepted event on the queue",
        new Promise<void>((resolve) => {
          void channel.consume(queue, (message) => {
            if (!message) return;
            const id = String(message.properties.headers?.["ce-id"]);
            seen.set(id, (seen.get(id) ?? 0) + 1);
            channel.ack(message);
            if (ids.every((candidate) => seen.has(candidate))) resolve();
          });
        }),
        60_000,
      );
      for (const id of ids) assert.equal(seen.get(id), 1, `${id} published exactly once`);
    } finally {
      await gateway.stop();
      await proxy.close();
      await channel.deleteQueue(queue);
      await channel.close();
    }
  });
});

describe("ingress with Redis down", () => {
  it("never answers 2xx for an event it could not make durable, and the provider's retry is accepted later", async () => {
    const redis = await privateRedis();
    await redis.start();
    const gateway = await startTestGateway({
      server: { host: "127.0.0.1", port: 0 },
      redis: { url: redis.url, prefix: uniqueName("hy-ingress-down") },
      endpoints: [{ id: "internal", url: "http://127.0.0.1:9/never", secrets: [STANDARD_SECRET] }],
      ingress: { routes: [routeConfig("github", { type: "github", secrets: [GITHUB_SECRET] }, "internal")] },
    });
    try {
      const id = uniqueName("gh-redis-down");
      const body = JSON.stringify({ id });
      const request = {
        path: "/ingress/github",
        headers: {
          "x-github-event": "ping",
          "x-github-delivery": id,
          "x-hub-signature-256": await signGithub(GITHUB_SECRET, body),
        },
        body,
      };
      await redis.stop("SIGKILL");
      const [refused] = await postTimes(gateway, request, 1);
      assert.equal(refused, 503, "not durable, so not acknowledged");
      await redis.start();
      await waitFor(
        "the provider's retry accepted",
        async () => ((await postTimes(gateway, request, 1))[0] === 200 ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      const queued = await gateway.store.getEndpointState("internal", Date.now());
      assert.ok(
        queued.queued + queued.inFlight + queued.dead >= 1,
        "the accepted event reached the scheduler for its target",
      );
    } finally {
      await gateway.stop();
      await redis.stop("SIGKILL");
    }
  });
});
