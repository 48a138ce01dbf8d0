import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createPortalTokens } from "./auth/portal-token.js";
import {
  type AdminHarness,
  openAdminHarness,
  PORTAL_SIGNING_KEY,
  type StoreKind,
  testEndpoint,
} from "./testing/admin-harness.js";
import { enqueue, settleAll } from "./testing/settle-deliveries.js";

for (const kind of ["redis", "embedded"] as StoreKind[]) {
  describe(`admin API (${kind} store)`, () => {
    let h: AdminHarness;
    before(async () => {
      h = await openAdminHarness(kind, {
        configEndpoints: [testEndpoint("cfg-a", "acme"), testEndpoint("cfg-b", "globex")],
        configSubscriptions: [{ id: "cfg-sub", endpoints: ["cfg-a"], types: ["order.*"], enabled: true }],
        rejectedOrigins: ["source:orders"],
      });
    });
    after(() => h.close());

    it("refuses requests without a valid admin key or portal token, with the JSON error shape", async () => {
      const none = await h.request("GET", "/admin/v1/endpoints", { key: "" });
      assert.equal(none.status, 401);
      assert.equal((none.body.error as { code: string }).code, "UNAUTHORIZED");
      assert.equal((await h.request("GET", "/admin/v1/endpoints", { key: "wrong-key-123456" })).status, 401);
      const missing = await h.request("GET", "/admin/v1/nothing-here");
      assert.equal(missing.status, 404);
      assert.equal((missing.body.error as { code: string }).code, "NOT_FOUND");
      const me = await h.request("GET", "/admin/v1/me");
      assert.equal(me.body.kind, "admin");
      assert.match(String(me.body.keyId), /^key_[0-9a-f]{8}$/);
      assert.deepEqual((await h.request("GET", "/admin/v1/owners")).body.data, ["acme", "globex"]);
    });

    it("creates, reads, updates, enables/disables, rotates and tests an endpoint; config endpoints are read-only", async () => {
      const created = await h.request("POST", "/admin/v1/endpoints", {
        body: { id: `api-${kind}`, owner: "acme", url: "https://hooks.example.com/a", eventTypes: ["invoice.*"] },
      });
      assert.equal(created.status, 201);
      const secret = String(created.body.secret);
      assert.match(secret, /^whsec_/);
      assert.ok(!JSON.stringify(created.body.endpoint).includes(secret), "the view never holds a secret");
      const id = `api-${kind}`;
      assert.equal(
        (await h.request("POST", "/admin/v1/endpoints", { body: { id, owner: "acme", url: "https://x.example" } }))
          .status,
        409,
      );
      assert.equal(
        (await h.request("POST", "/admin/v1/endpoints", { body: { owner: "acme", url: "ftp://x" } })).status,
        400,
      );

      const got = await h.request("GET", `/admin/v1/endpoints/${id}`);
      assert.equal(got.body.url, "https://hooks.example.com/a");
      assert.equal(got.body.source, "api");
      assert.equal(got.body.payload, "standard", "the Standard Webhooks structure by default");
      const listed = await h.request("GET", "/admin/v1/endpoints?owner=acme&limit=1");
      assert.equal(listed.body.data?.length, 1);
      assert.ok(listed.body.nextCursor);
      const next = await h.request("GET", `/admin/v1/endpoints?owner=acme&limit=1&cursor=${listed.body.nextCursor}`);
      assert.notEqual(next.body.data?.[0]?.id, listed.body.data?.[0]?.id);

      const patched = await h.request("PATCH", `/admin/v1/endpoints/${id}`, {
        body: { url: "https://hooks.example.com/b", eventTypes: ["invoice.paid"] },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.url, "https://hooks.example.com/b");
      assert.equal(h.registry.get(id)?.url, "https://hooks.example.com/b");
      const raw = await h.request("PATCH", `/admin/v1/endpoints/${id}`, { body: { payload: "raw" } });
      assert.equal(raw.body.payload, "raw");
      assert.equal(h.registry.get(id)?.payload, "raw");
      assert.equal((await h.request("PATCH", `/admin/v1/endpoints/${id}`, { body: { payload: "xml" } })).status, 400);
      assert.ok(h.registry.subscriptions().some((s) => s.id === `endpoint:${id}` && s.types[0] === "invoice.paid"));

      const readOnly = await h.request("PATCH", "/admin/v1/endpoints/cfg-a", { body: { url: "https://x.example" } });
      assert.equal(readOnly.status, 409);
      assert.equal((readOnly.body.error as { code: string }).code, "READ_ONLY");

      assert.equal((await h.request("POST", `/admin/v1/endpoints/${id}/disable`)).body.enabled, false);
      const health = await h.request("GET", `/admin/v1/endpoints/${id}/health`);
      assert.equal(health.body.disabledReason, "disabled by operator");
      assert.equal((await h.request("POST", `/admin/v1/endpoints/${id}/enable`)).body.enabled, true);

      const rotated = await h.request("POST", `/admin/v1/endpoints/${id}/rotate-secret`, {
        body: { graceSeconds: 60 },
      });
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, secret);
      const secrets = h.registry.get(id)?.secrets ?? [];
      assert.equal(secrets.length, 2);
      assert.equal(secrets[0]?.secret, rotated.body.secret);
      assert.equal(secrets[0]?.expiresAt, undefined);
      assert.equal(secrets[1]?.secret, secret);
      assert.equal(secrets[1]?.expiresAt, rotated.body.previousSecretsExpireAt);

      const test = await h.request("POST", `/admin/v1/endpoints/${id}/test`, { body: {} });
      assert.equal(test.status, 202);
      // Queued (live in the scheduler) until it settles; then it is in the history's delivery log.
      const queued = await h.request("GET", `/admin/v1/deliveries/${test.body.deliveryId}`);
      assert.equal(queued.body.status, "queued");
      assert.equal((queued.body.event as { type: string }).type, "hookyard.test");
      await settleAll(h, () => true);
      const log = await h.request("GET", `/admin/v1/deliveries?endpointId=${id}`);
      assert.equal(log.body.data?.[0]?.deliveryId, test.body.deliveryId);
      assert.equal(log.body.data?.[0]?.type, "hookyard.test");

      const audit = await h.request("GET", "/admin/v1/audit?limit=50");
      const actions = (audit.body.data ?? [])
        .filter((e) => (e.target as { id: string }).id === id)
        .map((e) => e.action);
      for (const action of [
        "endpoint.create",
        "endpoint.update",
        "endpoint.disable",
        "endpoint.enable",
        "endpoint.rotate-secret",
        "endpoint.test",
      ]) {
        assert.ok(actions.includes(action), `audited ${action}`);
      }
      const entry = audit.body.data?.find((e) => e.action === "endpoint.rotate-secret");
      assert.equal((entry?.actor as { kind: string } | undefined)?.kind, "admin");
      assert.ok(entry?.before && entry.after);
      const auditText = JSON.stringify(audit.body);
      assert.ok(!auditText.includes(secret) && !auditText.includes(String(rotated.body.secret)), "no secret audited");
    });

    it("manages subscriptions; config and endpoint-implied ones are read-only", async () => {
      const created = await h.request("POST", "/admin/v1/subscriptions", {
        body: { id: `sub-${kind}`, endpoints: ["cfg-b"], types: ["user.*"], filter: { "data.plan": "pro" } },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.source, "api");
      assert.equal(
        (await h.request("POST", "/admin/v1/subscriptions", { body: { endpoints: ["nope"], types: ["a"] } })).status,
        404,
      );
      assert.equal(
        (await h.request("POST", "/admin/v1/subscriptions", { body: { endpoints: ["cfg-b"], types: [] } })).status,
        400,
      );
      const patched = await h.request("PATCH", `/admin/v1/subscriptions/sub-${kind}`, {
        body: { types: ["user.created"] },
      });
      assert.deepEqual(patched.body.types, ["user.created"]);
      assert.equal((await h.request("GET", `/admin/v1/subscriptions/sub-${kind}`)).body.enabled, true);
      assert.equal(
        (await h.request("PATCH", "/admin/v1/subscriptions/cfg-sub", { body: { types: ["x"] } })).status,
        409,
      );
      const all = await h.request("GET", "/admin/v1/subscriptions");
      assert.ok(all.body.data?.some((s) => s.id === "cfg-sub" && s.source === "config"));
      assert.equal((await h.request("DELETE", `/admin/v1/subscriptions/sub-${kind}`)).status, 204);
      assert.equal((await h.request("GET", `/admin/v1/subscriptions/sub-${kind}`)).status, 404);
    });

    it("lists, filters and pages deliveries; shows events, attempts; retries and replays dead letters", async () => {
      const ids = await enqueue(h, "cfg-a", "order.created", 30);
      const failed = new Set(ids.slice(0, 5));
      await settleAll(h, (id) => !failed.has(id));

      const page1 = await h.request("GET", "/admin/v1/deliveries?endpointId=cfg-a&type=order.created&limit=20");
      assert.equal(page1.body.data?.length, 20);
      const page2 = await h.request(
        "GET",
        `/admin/v1/deliveries?endpointId=cfg-a&type=order.created&limit=20&cursor=${page1.body.nextCursor}`,
      );
      const seen = [...(page1.body.data ?? []), ...(page2.body.data ?? [])].map((d) => d.deliveryId);
      assert.deepEqual(seen, [...ids].reverse());
      const dead = await h.request("GET", "/admin/v1/deliveries?owner=acme&status=dead&limit=50");
      assert.deepEqual(new Set((dead.body.data ?? []).map((d) => d.deliveryId)), failed);
      const byEvent = await h.request("GET", "/admin/v1/deliveries?eventId=evt-cfg-a-3");
      assert.deepEqual(
        byEvent.body.data?.map((d) => d.deliveryId),
        [ids[3]],
      );
      const future = await h.request(
        "GET",
        `/admin/v1/deliveries?endpointId=cfg-a&from=${new Date(Date.now() + 60_000).toISOString()}`,
      );
      assert.equal(future.body.data?.length, 0);
      assert.equal((await h.request("GET", "/admin/v1/deliveries?status=bogus")).status, 400);
      assert.equal((await h.request("GET", "/admin/v1/deliveries?cursor=%%%")).status, 400);

      const event = await h.request("GET", "/admin/v1/events/evt-cfg-a-0");
      assert.equal(event.body.type, "order.created");
      assert.equal(event.body.data, '{"n":0}');
      assert.equal((event.body.deliveries as unknown[]).length, 1);
      assert.equal((await h.request("GET", "/admin/v1/events/none")).status, 404);

      const failedId = ids[0] ?? "";
      const detail = await h.request("GET", `/admin/v1/deliveries/${failedId}`);
      assert.equal(detail.body.status, "dead");
      assert.equal(detail.body.deadReason, "rejected: HTTP 500");
      const attempts = await h.request("GET", `/admin/v1/deliveries/${failedId}/attempts`);
      assert.equal(attempts.body.data?.[0]?.status, 500);
      assert.equal(attempts.body.data?.[0]?.responseBody, "boom");
      assert.equal(
        (attempts.body.data?.[0]?.requestHeaders as Record<string, string> | undefined)?.["webhook-id"],
        "evt-cfg-a-0",
      );

      const letters = await h.request("GET", "/admin/v1/endpoints/cfg-a/dead-letters");
      assert.equal(letters.body.data?.length, 5);
      assert.equal((await h.request("POST", `/admin/v1/deliveries/${failedId}/retry`)).status, 202);
      assert.equal((await h.request("POST", `/admin/v1/deliveries/${failedId}/retry`)).status, 409);
      assert.equal((await h.request("POST", "/admin/v1/endpoints/cfg-a/dead-letters/replay")).body.replayed, 4);
      assert.equal((await h.request("GET", `/admin/v1/deliveries/${failedId}`)).body.status, "queued");
      await settleAll(h, () => true);

      const health = await h.request("GET", "/admin/v1/endpoints/cfg-a/health");
      assert.equal(health.body.breaker, "closed");
      assert.equal(typeof health.body.successRate, "number");
      const stats = await h.request("GET", "/admin/v1/stats/deliveries?endpointId=cfg-a&buckets=4");
      assert.equal((stats.body.buckets as unknown[]).length, 4);
    });

    it("shows rejected messages to operators", async () => {
      await h.store.keepRejected({
        origin: "source:orders",
        reason: "not JSON",
        at: Date.now(),
        headers: {},
        data: new Uint8Array([1, 2]),
      });
      const origins = await h.request("GET", "/admin/v1/rejected");
      assert.deepEqual(origins.body.origins, ["source:orders"]);
      const kept = await h.request("GET", "/admin/v1/rejected?origin=source:orders");
      assert.equal(kept.body.data?.[0]?.reason, "not JSON");
      assert.equal(kept.body.data?.[0]?.dataBase64, "AQI=");
      assert.equal((await h.request("GET", "/admin/v1/rejected?origin=source:other")).status, 400);
    });

    it("scopes a portal token to one owner and refuses expired or forged tokens", async () => {
      const issued = await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "globex", ttlSeconds: 600 } });
      assert.equal(issued.status, 201);
      const token = String(issued.body.token);
      assert.match(String(issued.body.dashboardPath), /^\/dashboard\/#token=hyp1\./);
      const mine = await h.request("GET", "/admin/v1/endpoints", { key: token });
      assert.deepEqual(
        mine.body.data?.map((e) => e.id),
        ["cfg-b"],
      );
      assert.equal((await h.request("GET", "/admin/v1/endpoints/cfg-a", { key: token })).status, 404);
      assert.equal((await h.request("GET", "/admin/v1/endpoints/cfg-a/health", { key: token })).status, 404);
      assert.equal((await h.request("GET", "/admin/v1/deliveries?endpointId=cfg-a", { key: token })).status, 404);
      assert.equal((await h.request("GET", "/admin/v1/deliveries?owner=acme", { key: token })).body.data?.length, 0);
      const someAcme = (await h.request("GET", "/admin/v1/deliveries?endpointId=cfg-a&limit=1")).body.data?.[0]
        ?.deliveryId;
      assert.equal((await h.request("GET", `/admin/v1/deliveries/${someAcme}`, { key: token })).status, 404);
      assert.equal((await h.request("POST", `/admin/v1/deliveries/${someAcme}/retry`, { key: token })).status, 404);
      assert.equal(
        (await h.request("POST", "/admin/v1/replay-jobs", { key: token, body: { endpointId: "cfg-a" } })).status,
        404,
      );
      assert.equal((await h.request("GET", "/admin/v1/audit", { key: token })).status, 403);
      assert.equal(
        (await h.request("POST", "/admin/v1/portal-tokens", { key: token, body: { owner: "acme" } })).status,
        403,
      );
      const created = await h.request("POST", "/admin/v1/endpoints", {
        key: token,
        body: { url: "https://globex.example/h" },
      });
      assert.equal(created.status, 201);
      assert.equal((created.body.endpoint as { owner: string }).owner, "globex");
      assert.equal(
        (
          await h.request("POST", "/admin/v1/endpoints", {
            key: token,
            body: { owner: "acme", url: "https://x.example" },
          })
        ).status,
        403,
      );
      const audit = await h.request("GET", "/admin/v1/audit?limit=5");
      assert.deepEqual(audit.body.data?.[0]?.actor, { kind: "portal", id: "globex" });

      const tokens = createPortalTokens(PORTAL_SIGNING_KEY);
      const expired = tokens.issue("globex", Date.now() - 120_000, 60_000).token;
      const refused = await h.request("GET", "/admin/v1/endpoints", { key: expired });
      assert.equal(refused.status, 401);
      assert.equal((refused.body.error as { code: string }).code, "TOKEN_EXPIRED");
      const forged = createPortalTokens("another-key-xxxxxxxxxxxxxxxx").issue("acme", Date.now(), 60_000).token;
      assert.equal((await h.request("GET", "/admin/v1/endpoints", { key: forged })).status, 401);
      const tampered = `${token.slice(0, 10)}x${token.slice(11)}`;
      assert.equal((await h.request("GET", "/admin/v1/endpoints", { key: tampered })).status, 401);
    });

    it("replays 10,000 deliveries as a background job with progress", async () => {
      const endpoint = `bulk-${kind}`;
      const created = await h.request("POST", "/admin/v1/endpoints", {
        body: { id: endpoint, owner: "acme", url: "https://bulk.example/h", policy: { concurrency: 1000 } },
      });
      assert.equal(created.status, 201);
      const from = Date.now();
      await enqueue(h, endpoint, "bulk.event", 10_000);
      await settleAll(h, () => true);
      let batches = 0;
      const putJob = h.storage.putJob.bind(h.storage);
      h.storage.putJob = async (job) => {
        batches += 1;
        await putJob(job);
      };
      const started = await h.request("POST", "/admin/v1/replay-jobs", {
        body: { endpointId: endpoint, from: new Date(from).toISOString(), status: "delivered" },
      });
      assert.equal(started.status, 202);
      assert.equal(started.body.state, "running");
      const progress: number[] = [];
      let job = started.body;
      const deadline = Date.now() + 30_000;
      while (job.state === "running" && Date.now() < deadline) {
        job = (await h.request("GET", `/admin/v1/replay-jobs/${started.body.id}`)).body;
        progress.push(Number(job.replayed));
      }
      assert.equal(job.state, "done");
      assert.equal(job.replayed, 10_000);
      assert.equal(job.scanned, 10_000);
      assert.ok(batches >= 50, `progress stored per batch (${batches} writes)`);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        "progress only grows",
      );
      // Queued again in the scheduler, and out of the history's lists until they settle again.
      assert.equal((await h.store.getEndpointState(endpoint, Date.now())).queued, 10_000);
      const listed = await h.request("GET", `/admin/v1/deliveries?endpointId=${endpoint}&limit=200`);
      assert.equal(listed.body.data?.length, 0);
      const jobs = await h.request("GET", "/admin/v1/replay-jobs");
      assert.equal(jobs.body.data?.[0]?.id, started.body.id);
      const audit = await h.request("GET", "/admin/v1/audit?limit=5");
      assert.ok(audit.body.data?.some((e) => e.action === "replay-job.create"));
      h.storage.putJob = putJob;
    });
  });
}
