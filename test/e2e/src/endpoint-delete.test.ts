import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { uniqueName, waitFor } from "@hookyard/test-brokers";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const ADMIN_KEY = "admin-key-for-e2e-0123456789";

describe("deleting an endpoint with queued deliveries (admin API, whole gateway)", () => {
  let receiver: WebhookReceiver;
  let gateway: Gateway;
  before(async () => {
    receiver = await startWebhookReceiver(TEST_SECRET);
    gateway = await startTestGateway(
      ingestConfig(`${receiver.url}/hooks`, { admin: { enabled: true, apiKeys: [ADMIN_KEY] } }),
    );
  });
  after(async () => {
    await gateway.stop();
    await receiver.close();
  });

  const call = async (method: string, path: string, body?: unknown, key = ADMIN_KEY) => {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> };
  };

  it("dead-letters them with reason `endpoint deleted` (force), routes nothing more to it, loses nothing", async () => {
    const id = uniqueName("ep");
    const created = await call("POST", "/admin/v1/endpoints", {
      id,
      owner: "acme",
      url: `${receiver.url}/acme`,
      eventTypes: ["order.*"],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call("POST", `/admin/v1/endpoints/${id}/disable`)).status, 200);
    for (let n = 0; n < 3; n += 1) {
      const posted = await call(
        "POST",
        "/v1/events",
        { id: uniqueName("evt"), type: "order.created", data: { n } },
        INGEST_KEY,
      );
      assert.equal(posted.body.deliveries, 2); // the catch-all receiver and the disabled endpoint
    }
    const busy = await call("DELETE", `/admin/v1/endpoints/${id}`);
    assert.equal(busy.status, 409);
    const deleted = await call("DELETE", `/admin/v1/endpoints/${id}?force=true`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deadLettered, 3);

    const dead = await waitFor("the three dead letters", async () => {
      const letters = (await gateway.history.listDeadLetters(id, { limit: 10 })).deliveries;
      return letters.length === 3 ? letters : undefined;
    });
    assert.deepEqual(
      dead.map((d) => d.deadReason),
      ["rejected: endpoint deleted", "rejected: endpoint deleted", "rejected: endpoint deleted"],
    );
    assert.equal(receiver.received.filter((r) => r.path === "/acme").length, 0, "nothing was sent to it");
    const state = await gateway.store.getEndpointState(id, Date.now());
    assert.equal(state.queued + state.inFlight, 0);

    const later = await call(
      "POST",
      "/v1/events",
      { id: uniqueName("evt"), type: "order.created", data: {} },
      INGEST_KEY,
    );
    assert.equal(later.body.deliveries, 1, "the deleted endpoint's subscription routes nothing");
  });
});
