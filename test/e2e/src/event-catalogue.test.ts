import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { uniqueName } from "@hookyard/test-brokers";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { rabbitmqFixture } from "./rabbitmq-fixture.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const json = { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" };
const invoiceSchema = {
  type: "object",
  required: ["invoiceId", "amount"],
  properties: { invoiceId: { type: "string" }, amount: { type: "number", minimum: 0 } },
};
const eventTypes = [
  {
    name: "invoice.paid",
    description: "An invoice was paid",
    group: "Invoices",
    schema: invoiceSchema,
    example: { invoiceId: "in_1", amount: 12 },
    validation: "reject",
  },
  { name: "invoice.draft", description: "Drafts: checked, not refused", schema: invoiceSchema, validation: "warn" },
];

describe("event-type catalogue: payload validation at ingest and at the sources", () => {
  let receiver: WebhookReceiver;
  let gateway: Gateway;
  let rabbit: Awaited<ReturnType<typeof rabbitmqFixture>>;
  before(async () => {
    receiver = await startWebhookReceiver(TEST_SECRET);
    rabbit = await rabbitmqFixture();
    gateway = await startTestGateway(
      ingestConfig(`${receiver.url}/hooks`, { eventTypes, sources: [rabbit.source("orders")] }),
    );
  });
  after(async () => {
    await gateway.stop();
    await rabbit.cleanup();
    await receiver.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${gateway.url}${path}`, { method: "POST", headers: json, body: JSON.stringify(body) });

  it("refuses a `reject` type's bad payload with 422 naming the failing JSON path, and accepts a good one", async () => {
    const bad = await post("/v1/events", {
      id: uniqueName("evt"),
      type: "invoice.paid",
      data: { invoiceId: "in_1", amount: "12" },
    });
    assert.equal(bad.status, 422);
    const body = (await bad.json()) as { error: { code: string; message: string; details: { path: string } } };
    assert.equal(body.error.code, "PAYLOAD_INVALID");
    assert.equal(body.error.message, 'event type "invoice.paid": $.amount must be number');
    assert.equal(body.error.details.path, "$.amount");
    const missing = await post("/v1/events", { id: uniqueName("evt"), type: "invoice.paid", data: { amount: 1 } });
    assert.match(
      ((await missing.json()) as { error: { message: string } }).error.message,
      /\$ must have required property 'invoiceId'/,
    );

    const id = uniqueName("evt");
    const good = await post("/v1/events", { id, type: "invoice.paid", data: { invoiceId: "in_2", amount: 3 } });
    assert.equal(good.status, 202);
    await arrival(receiver, id);
  });

  it("refuses a batch as a whole, naming the event and path; a `warn` type or an uncatalogued type passes", async () => {
    const ids = [uniqueName("evt"), uniqueName("evt"), uniqueName("evt")];
    const refused = await post("/v1/events/batch", {
      events: [
        { id: ids[0], type: "invoice.paid", data: { invoiceId: "a", amount: 1 } },
        { id: ids[1], type: "invoice.paid", data: { invoiceId: "b", amount: -1 } },
      ],
    });
    assert.equal(refused.status, 422);
    assert.equal(
      ((await refused.json()) as { error: { message: string } }).error.message,
      'events[1]: event type "invoice.paid": $.amount must be >= 0',
    );
    const accepted = await post("/v1/events/batch", {
      events: [
        { id: ids[0], type: "invoice.draft", data: { amount: "not a number" } },
        { id: ids[2], type: "not.in.catalogue", data: "anything" },
      ],
    });
    assert.equal(accepted.status, 202);
    await arrival(receiver, ids[0] ?? "");
    await arrival(receiver, ids[2] ?? "");
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /hookyard_payload_schema_failures_total\{source="http",type="invoice.draft",mode="warn"\} 1/);
    assert.match(
      metrics,
      /hookyard_payload_schema_failures_total\{source="http",type="invoice.paid",mode="reject"\} 3/,
    );
  });

  it("keeps a source's bad payload in the rejected log (acked, never dropped) and delivers the good one after it", async () => {
    const badId = uniqueName("evt");
    const goodId = uniqueName("evt");
    await rabbit.publish([
      {
        id: badId,
        type: "invoice.paid",
        data: Buffer.from(JSON.stringify({ invoiceId: 7, amount: 1 })),
        headers: { "content-type": "application/json" },
      },
      {
        id: goodId,
        type: "invoice.paid",
        data: Buffer.from(JSON.stringify({ invoiceId: "in_9", amount: 1 })),
        headers: { "content-type": "application/json" },
      },
    ]);
    // The queue is consumed in order: once the good one arrived, the bad one before it was settled too.
    await arrival(receiver, goodId);
    const rejected = await gateway.store.listRejected("source:orders", 10);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.reason, 'schema: event type "invoice.paid": $.invoiceId must be string');
    assert.equal(rejected[0]?.headers["x-hookyard-event-id"], badId);
    assert.deepEqual(JSON.parse(Buffer.from(rejected[0]?.data ?? []).toString()), { invoiceId: 7, amount: 1 });
    assert.ok(!receiver.received.some((r) => r.headers["webhook-id"] === badId));
  });
});

async function arrival(receiver: WebhookReceiver, id: string) {
  for (;;) {
    const found = receiver.received.find((request) => request.headers["webhook-id"] === id);
    if (found) return found;
    await receiver.waitFor(receiver.received.length + 1);
  }
}
