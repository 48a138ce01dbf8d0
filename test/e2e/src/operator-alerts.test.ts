import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Gateway } from "@hookyard/runtime";
import { requireBrokers, uniqueName, waitFor } from "@hookyard/test-brokers";
import { INGEST_KEY, ingestConfig, startTestGateway, TEST_SECRET } from "./gateway-fixture.js";
import { freePort } from "./hookyard-process.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const OPS_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/** An operator webhook as received: Standard Webhooks structure, `data` the alert. */
interface Alert {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

function alertOf(request: ReceivedRequest): Alert {
  return JSON.parse(request.body.toString("utf8")) as Alert;
}

function alertsAt(receiver: WebhookReceiver, path: string): Alert[] {
  return receiver.received.filter((request) => request.path === path).map(alertOf);
}

async function operatorCount(gateway: Gateway, type: string): Promise<number> {
  const text = await (await fetch(`${gateway.internalUrl}/metrics`)).text();
  const match = new RegExp(`hookyard_operator_events_total\\{type="${type.replaceAll(".", "\\.")}"\\} (\\d+)`).exec(
    text,
  );
  return Number(match?.[1] ?? 0);
}

/**
 * Operator alerts end to end, on the embedded store and on the shared Redis: customer endpoints that break, recover,
 * answer 410 and dead-letter, a history store that is down (PostgreSQL at a closed port) so the outbox fills and
 * sheds, and two operator endpoints: one that verifies every alert's signature, one that always fails (the loop
 * guard: its own dead letters are counted, never delivered).
 */
for (const storeKind of ["embedded", "redis"] as const) {
  describe(`operator alerts (${storeKind} store)`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("delivers each alert kind, signed, to the operator endpoints and never alerts about them", async () => {
      let flakyRequests = 0;
      const customers = await startWebhookReceiver(TEST_SECRET, {
        status: (path) => {
          if (path === "/gone") return 410;
          if (path === "/dying") return 500;
          flakyRequests += 1;
          return flakyRequests === 1 ? 500 : 200; // the first attempt fails, the probe succeeds
        },
      });
      cleanups.push(() => customers.close());
      const ops = await startWebhookReceiver(OPS_SECRET, { status: (path) => (path === "/broken" ? 500 : 200) });
      cleanups.push(() => ops.close());

      const redis =
        storeKind === "redis" ? { redis: { url: requireBrokers("redis").redisUrl, prefix: uniqueName("hy-ops") } } : {};
      const closedPort = await freePort();
      const base = ingestConfig(`${customers.url}/unused`);
      const gateway = await startTestGateway({
        ...base,
        ...redis,
        history: { postgres: { url: `postgres://hookyard@127.0.0.1:${closedPort}/hookyard` }, outboxMaxRecords: 4 },
        endpoints: [
          {
            id: "flaky",
            url: `${customers.url}/flaky`,
            secrets: [TEST_SECRET],
            policy: {
              retry: { schedule: [0, "10ms", "10ms", "10ms"], jitter: 0 },
              breaker: { minRequests: 1, failureRate: 0.5, cooldown: "100ms" },
            },
          },
          { id: "gone", url: `${customers.url}/gone`, secrets: [TEST_SECRET] },
          { id: "dying", url: `${customers.url}/dying`, secrets: [TEST_SECRET], policy: { retry: { schedule: [0] } } },
        ],
        subscriptions: [
          { id: "to-flaky", endpoints: ["flaky"], types: ["flaky.*"] },
          { id: "to-gone", endpoints: ["gone"], types: ["gone.*"] },
          { id: "to-dying", endpoints: ["dying"], types: ["dying.*"] },
        ],
        operator: {
          outboxFillAlert: 0.5,
          endpoints: [
            { id: "pager", url: `${ops.url}/pager`, secrets: [OPS_SECRET] },
            {
              id: "broken",
              url: `${ops.url}/broken`,
              secrets: [OPS_SECRET],
              events: ["delivery.dead"],
              policy: { retry: { schedule: [0] } },
            },
          ],
        },
      });
      cleanups.push(async () => {
        await gateway.stop();
        if (storeKind === "redis") await deleteHookyardKeys(redis.redis?.url ?? "", redis.redis?.prefix ?? "");
      });

      const send = async (type: string) => {
        const response = await fetch(`${gateway.url}/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ id: uniqueName("evt"), type, data: { n: 1 } }),
        });
        assert.equal(response.status, 202);
      };
      const arrived = (type: string, path = "/pager") =>
        waitFor(`a ${type} alert at ${path}`, () => alertsAt(ops, path).find((alert) => alert.type === type), {
          timeoutMs: 30_000,
        });

      await send("flaky.one");
      const opened = await arrived("endpoint.breaker.opened");
      assert.equal(opened.data.endpointId, "flaky");
      assert.equal(opened.data.owner, "flaky");
      assert.match(String(opened.data.openUntil), /^\d{4}-\d\d-\d\dT/);
      const closed = await arrived("endpoint.breaker.closed");
      assert.equal(closed.data.endpointId, "flaky");

      await send("gone.one");
      const disabled = await arrived("endpoint.disabled");
      assert.deepEqual([disabled.data.endpointId, disabled.data.reason], ["gone", "410 Gone"]);

      await send("dying.one");
      const dead = await arrived("delivery.dead");
      assert.equal(dead.data.endpointId, "dying");
      assert.equal(dead.data.eventType, "dying.one");
      assert.equal(dead.data.attempts, 1);
      assert.match(String(dead.data.reason), /retries exhausted|attempt/);

      // PostgreSQL is down: settled records wait in the outbox (bound 4) until delivered ones are shed.
      for (let i = 0; i < 4; i++) await send("flaky.more");
      const filling = await arrived("history.outbox.filling");
      assert.equal(filling.data.maxRecords, 4);
      assert.ok(Number(filling.data.records) >= 2);
      const shedding = await arrived("history.outbox.shedding");
      assert.ok(Number(shedding.data.shed) >= 1);

      // Every request to an operator endpoint was signed with its secret, in the Standard Webhooks structure.
      for (const request of ops.received) {
        assert.equal(request.verified, true, `signature of ${request.path}`);
        assert.equal(request.headers["content-type"], "application/json");
        const alert = alertOf(request);
        assert.match(alert.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        assert.ok(request.headers["webhook-id"]?.startsWith("alert_"));
      }

      // The loop guard: the broken operator endpoint's own dead letter is counted and logged, not delivered.
      await waitFor("the broken operator endpoint's dead letter counted", async () =>
        (await operatorCount(gateway, "delivery.dead")) >= 2 ? true : undefined,
      );
      const deadAlerts = alertsAt(ops, "/pager").filter((alert) => alert.type === "delivery.dead");
      assert.ok(deadAlerts.every((alert) => !String(alert.data.endpointId).startsWith("operator:")));
      assert.deepEqual(
        alertsAt(ops, "/broken").map((alert) => alert.data.endpointId),
        ["dying"],
      );
      for (const type of ["endpoint.breaker.opened", "endpoint.breaker.closed", "endpoint.disabled"]) {
        assert.equal(await operatorCount(gateway, type), 1, type);
      }
    });
  });
}
