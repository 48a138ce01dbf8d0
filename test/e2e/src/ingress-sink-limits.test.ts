import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type Message, PubSub } from "@google-cloud/pubsub";
import type { Gateway } from "@hookyard/runtime";
import { requireBrokers, uniqueName, waitFor, withDeadline } from "@hookyard/test-brokers";
import { connect } from "amqplib";
import { startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

/**
 * The issue that brought sink limits: ~100 KB events posted together to an ingress route reached the broker as
 * batches too large for it, and every event of such a batch was dead-lettered. Per sink, on the real broker: 30
 * concurrent ~100 KB events and one over the sink's limit → each normal event arrives exactly once; the oversized
 * one is refused with 413 (when the sink's limit is known up front) or dead-lettered with its size named (when only
 * the broker knows it).
 */

const brokers = requireBrokers("redis", "rabbitmq", "pubsub", "sqs");
const SECRET = "github-e2e-secret-value";
const EVENTS = 30;
const EVENT_BYTES = 100 * 1024;
const MB = 1024 * 1024;

interface SinkPlace {
  /** The `sinks[]` entry (id "out") or, for an HTTP target, undefined plus `extra` config. */
  readonly sink?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
  readonly target: string;
  /** Starts reading what arrives with the broker's own client, calling `add` with each message's event id. */
  consume(add: (id: string) => void): Promise<void>;
  /** Stops reading and deletes what setup made. */
  cleanup(): Promise<void>;
}

interface SinkCase {
  readonly name: string;
  readonly oversizedBytes: number;
  /** 413: refused at the route; dead-letter: accepted, then dead-lettered by the sink naming its size. */
  readonly oversized: "413" | "dead-letter";
  setup(): Promise<SinkPlace>;
}

function signed(id: string, body: string) {
  return {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": id,
    "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
  };
}

/** A JSON body of `bytes` bytes around random base64 (incompressible, like real payloads). */
function bodyOf(id: string, bytes: number): string {
  const head = `{"id":"${id}","pad":"`;
  const pad = randomBytes(bytes)
    .toString("base64")
    .slice(0, bytes - head.length - 2);
  return `${head}${pad}"}`;
}

async function post(gateway: Gateway, id: string, bytes: number): Promise<{ status: number; text: string }> {
  const body = bodyOf(id, bytes);
  const response = await fetch(`${gateway.url}/ingress/bulk`, { method: "POST", headers: signed(id, body), body });
  return { status: response.status, text: await response.text() };
}

const cases: SinkCase[] = [
  {
    name: "RabbitMQ (maxMessageBytes 1 MiB: the oversized event is refused with 413)",
    oversizedBytes: Math.round(1.5 * MB),
    oversized: "413",
    async setup() {
      const model = await connect(brokers.amqpUrl);
      const channel = await model.createChannel();
      const queue = uniqueName("e2e-limits");
      await channel.assertQueue(queue, { durable: false });
      return {
        target: "out",
        sink: {
          id: "out",
          type: "rabbitmq",
          config: { url: brokers.amqpUrl, exchange: "", routingKey: queue, maxMessageBytes: "1mb" },
        },
        async consume(add) {
          await channel.consume(queue, (message) => {
            if (message === null) return;
            add(String(message.properties.headers?.["ce-id"]));
            channel.ack(message);
          });
        },
        async cleanup() {
          await channel.deleteQueue(queue).catch(() => undefined);
          await model.close().catch(() => undefined);
        },
      };
    },
  },
  {
    name: "SQS (limits set above ElasticMQ's 1 MiB: refused batches are split, the oversized event dead-lettered)",
    oversizedBytes: Math.round(1.5 * MB),
    oversized: "dead-letter",
    async setup() {
      const client = new SQSClient({
        endpoint: brokers.sqsEndpoint,
        region: brokers.sqsRegion,
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      });
      const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: uniqueName("e2e-limits") }))).QueueUrl;
      assert.ok(queueUrl);
      let stopped = false;
      return {
        target: "out",
        sink: {
          id: "out",
          type: "sqs",
          config: {
            endpoint: brokers.sqsEndpoint,
            region: brokers.sqsRegion,
            credentials: { accessKeyId: "x", secretAccessKey: "x" },
            queueUrl,
            maxMessageBytes: "2mb",
            maxBatchBytes: "4mb",
          },
        },
        async consume(add) {
          void (async () => {
            while (!stopped) {
              const { Messages = [] } = await client.send(
                new ReceiveMessageCommand({
                  QueueUrl: queueUrl,
                  MaxNumberOfMessages: 10,
                  WaitTimeSeconds: 1,
                  MessageAttributeNames: ["All"],
                }),
              );
              for (const message of Messages) add(message.MessageAttributes?.["ce-id"]?.StringValue ?? "");
            }
          })().catch(() => undefined); // the queue is deleted at cleanup, under a last receive
        },
        async cleanup() {
          stopped = true;
          await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
          client.destroy();
        },
      };
    },
  },
  {
    name: "Pub/Sub (the emulator's 4 MiB request limit is learned: the oversized event dead-lettered)",
    oversizedBytes: 5 * MB,
    oversized: "dead-letter",
    async setup() {
      const client = new PubSub({
        projectId: brokers.pubsubProjectId,
        apiEndpoint: brokers.pubsubEmulatorHost,
        emulatorMode: true,
      });
      const topicName = uniqueName("e2e-limits");
      const [topic] = await client.createTopic(topicName);
      const [subscription] = await topic.createSubscription(uniqueName("e2e-limits-sub"), { ackDeadlineSeconds: 30 });
      return {
        target: "out",
        sink: {
          id: "out",
          type: "pubsub",
          config: {
            projectId: brokers.pubsubProjectId,
            emulatorHost: brokers.pubsubEmulatorHost,
            topic: topicName,
            publishTimeout: "3s",
          },
        },
        async consume(add) {
          subscription.on("message", (message: Message) => {
            message.ack();
            add(message.attributes["ce-id"] ?? "");
          });
        },
        async cleanup() {
          await subscription.close().catch(() => undefined);
          await subscription.delete().catch(() => undefined);
          await topic.delete().catch(() => undefined);
          await client.close();
        },
      };
    },
  },
  {
    name: "HTTP target (no size limit of its own: the route's maxBodyBytes answers 413)",
    oversizedBytes: 13 * MB,
    oversized: "413",
    async setup() {
      let add: (id: string) => void = () => undefined;
      const receiver = await startWebhookReceiver(TEST_SECRET, {
        onRequest: (request) => add(request.headers["webhook-id"] ?? ""),
      });
      return {
        target: "internal",
        extra: {
          egress: { allowCidrs: ["127.0.0.0/8"] },
          endpoints: [{ id: "internal", url: `${receiver.url}/in`, secrets: [TEST_SECRET] }],
        },
        async consume(counter) {
          add = counter;
        },
        cleanup: () => receiver.close(),
      };
    },
  },
];

describe("ingress to each sink: 30 concurrent ~100 KB events and one over the limit", () => {
  for (const sinkCase of cases) {
    it(sinkCase.name, { timeout: 120_000 }, async () => {
      const place = await sinkCase.setup();
      let gateway: Gateway | undefined;
      try {
        gateway = await startTestGateway({
          server: { host: "127.0.0.1", port: 0 },
          redis: { url: brokers.redisUrl, prefix: uniqueName("hy-limits") },
          ingress: {
            routes: [
              {
                id: "bulk",
                path: "/ingress/bulk",
                verifier: { type: "github", secrets: [SECRET] },
                limits: { maxBodyBytes: "12mb" },
                defaultTargets: [place.target],
              },
            ],
          },
          sinks: place.sink === undefined ? [] : [place.sink],
          ...place.extra,
        });
        const started = gateway;
        const counter = createCounter();
        await place.consume(counter.add);
        const tag = uniqueName("big");
        const ids = Array.from({ length: EVENTS }, (_, i) => `${tag}-${i}`);
        const oversizedId = `${tag}-oversized`;
        const [oversized, ...answers] = await Promise.all([
          post(started, oversizedId, sinkCase.oversizedBytes),
          ...ids.map((id) => post(started, id, EVENT_BYTES)),
        ]);
        assert.deepEqual(
          answers.map((answer) => answer.status),
          ids.map(() => 200),
        );
        await withDeadline("every event on the broker", counter.until(ids), 90_000);
        // A marker sent after all of them: a duplicate published before it has arrived by the time it does.
        const marker = `${tag}-marker`;
        assert.equal((await post(started, marker, 100)).status, 200);
        await withDeadline("the marker on the broker", counter.until([marker]), 30_000);
        for (const id of ids) assert.equal(counter.counts.get(id), 1, `${id} arrived exactly once`);
        assert.equal(counter.counts.get(oversizedId), undefined, "the oversized event never reached the broker");
        if (sinkCase.oversized === "413") {
          assert.equal(oversized?.status, 413, oversized?.text);
          assert.match(oversized?.text ?? "", /PAYLOAD_TOO_LARGE/);
          if (place.sink !== undefined) {
            assert.match(oversized?.text ?? "", new RegExp(`is ${sinkCase.oversizedBytes} bytes`), "names its size");
          }
        } else {
          assert.equal(oversized?.status, 200, oversized?.text);
          const dead = await waitFor(
            "the oversized event dead-lettered",
            async () => (await started.history.listDeadLetters("sink:out", { limit: 10 })).deliveries[0],
            { timeoutMs: 60_000, intervalMs: 200 },
          );
          assert.equal(dead.envelope?.id, oversizedId);
          // Its size as the sink counts it: the payload plus headers/attributes.
          const named = Number(/event \S+ is (\d+) bytes/.exec(dead.deadReason ?? "")?.[1]);
          assert.ok(
            named >= sinkCase.oversizedBytes && named < sinkCase.oversizedBytes + 4096,
            `the reason names its size: ${dead.deadReason}`,
          );
        }
      } finally {
        await gateway?.stop();
        await place.cleanup();
      }
    });
  }
});

/** Copies per event id as they arrive, and a wait for a set of ids to have arrived (no polling). */
function createCounter() {
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  return {
    counts,
    add(id: string) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const waiter of [...waiters]) waiter();
    },
    until(ids: readonly string[]): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!ids.every((id) => counts.has(id))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
