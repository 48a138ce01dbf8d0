import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { type AdminHarness, type HistoryKind, openAdminHarness, testEndpoint } from "./testing/admin-harness.js";
import { enqueue, settleAll } from "./testing/settle-deliveries.js";

/**
 * The delivery log's search, sort and type globs through the admin API, over the memory history and over
 * PostgreSQL (the same answers from both), and queued deliveries held by the breaker (live, from the scheduler).
 */
for (const history of ["memory", "postgres"] as HistoryKind[]) {
  describe(`delivery log search and sort (${history} history)`, () => {
    let h: AdminHarness;
    let orders: string[];
    let invoices: string[];
    before(async () => {
      h = await openAdminHarness("embedded", {
        history,
        configEndpoints: [testEndpoint("shop", "acme"), testEndpoint("other", "globex")],
      });
      orders = await enqueue(h, "shop", "order.created", 12, (n) => ({
        order: { id: `o-${n}`, total: n * 10 },
        customer: { id: n % 3 === 0 ? "c_42" : `c_${n}`, tier: n % 2 === 0 ? "gold" : "basic" },
        tags: ["web", n % 4 === 0 ? "promo" : "regular"],
      }));
      invoices = await enqueue(h, "shop", "invoice.paid", 3, (n) => ({ invoice: { id: `in_${n}` }, paid: true }));
      await enqueue(h, "other", "order.created", 2, () => ({ customer: { id: "c_42" } }));
      await settleAll(h, () => true);
    });
    after(() => h.close());

    const ids = async (query: string, key?: string) => {
      const response = await h.request("GET", `/admin/v1/deliveries?${query}`, key === undefined ? {} : { key });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { ids: (response.body.data ?? []).map((d) => String(d.deliveryId)), next: response.body.nextCursor };
    };
    const everyPage = async (query: string) => {
      const found: string[] = [];
      let cursor: unknown;
      do {
        const page = await ids(`${query}&limit=4${cursor === undefined ? "" : `&cursor=${cursor}`}`);
        found.push(...page.ids);
        cursor = page.next;
      } while (cursor !== undefined);
      return found;
    };

    it("sorts newest or oldest first, paging correctly both ways", async () => {
      const all = [...orders, ...invoices];
      assert.deepEqual(await everyPage("endpointId=shop"), [...all].reverse());
      assert.deepEqual(await everyPage("endpointId=shop&order=oldest"), all);
      assert.deepEqual(await everyPage("endpointId=shop&order=newest"), [...all].reverse());
      const first = await ids("endpointId=shop&order=oldest&limit=2");
      const mixed = await h.request("GET", `/admin/v1/deliveries?endpointId=shop&order=newest&cursor=${first.next}`);
      assert.equal(mixed.status, 400);
      assert.match(String((mixed.body.error as { message: string }).message), /cursor belongs to the oldest-first/);
      const bad = await h.request("GET", "/admin/v1/deliveries?order=sideways");
      assert.equal(bad.status, 400);
      assert.match(String((bad.body.error as { message: string }).message), /order must be "newest" or "oldest"/);
    });

    it("filters by event type globs", async () => {
      assert.deepEqual(await everyPage("endpointId=shop&type=order.*&order=oldest"), orders);
      assert.deepEqual(await everyPage("endpointId=shop&type=invoice.**&order=oldest"), invoices);
      assert.deepEqual(await everyPage("endpointId=shop&type=*.paid&order=oldest"), invoices);
      assert.deepEqual(await everyPage("endpointId=shop&type=order"), []);
      const bad = await h.request("GET", "/admin/v1/deliveries?type=ord*");
      assert.equal(bad.status, 400);
    });

    it("searches payloads by a JSON fragment or key=value pairs, with the same answers", async () => {
      const pick = (list: string[], keep: (n: number) => boolean) => list.filter((_, n) => keep(n));
      const c42 = pick(orders, (n) => n % 3 === 0);
      const json = encodeURIComponent('{"customer":{"id":"c_42"}}');
      assert.deepEqual(await everyPage(`endpointId=shop&order=oldest&payload=${json}`), c42);
      assert.deepEqual(await everyPage(`endpointId=shop&order=oldest&payload=customer.id%3Dc_42`), c42);
      assert.deepEqual(
        await everyPage(
          `endpointId=shop&order=oldest&payload=${encodeURIComponent("customer.id=c_42 customer.tier=gold")}`,
        ),
        pick(orders, (n) => n % 6 === 0),
      );
      // Values are JSON scalars when they parse as one: a number, true; "quoted" stays a string.
      assert.deepEqual(await everyPage(`endpointId=shop&payload=${encodeURIComponent("order.total=30")}`), [orders[3]]);
      assert.deepEqual(await everyPage(`endpointId=shop&payload=${encodeURIComponent('order.total="30"')}`), []);
      assert.deepEqual(
        await everyPage(`endpointId=shop&order=oldest&payload=${encodeURIComponent("paid=true")}`),
        invoices,
      );
      assert.deepEqual(
        await everyPage(`endpointId=shop&order=oldest&payload=${encodeURIComponent('{"tags":["promo"]}')}`),
        pick(orders, (n) => n % 4 === 0),
      );
      // Combined with a glob and across an owner's endpoints (the other owner's c_42 stays out).
      assert.deepEqual(await everyPage(`owner=acme&type=order.*&order=oldest&payload=customer.id%3Dc_42`), c42);
      assert.deepEqual((await everyPage("payload=customer.id%3Dc_42")).length, c42.length + 2);
      assert.deepEqual(await everyPage(`endpointId=shop&payload=${encodeURIComponent("__proto__.x=1")}`), []);
    });

    it("answers bad payload searches with a 400 naming the expected forms", async () => {
      for (const [input, reason] of [
        ['{"customer":', /the JSON does not parse/],
        ["customer.id", /cannot read "customer.id"/],
        ["a..b=1", /empty segment/],
        ["a=1 a=2", /"a" is given twice/],
        ["a=1 a.b=2", /goes inside a key that already has a value/],
        ['a="unterminated', /the quoted value .* does not parse/],
        ["x".repeat(3000), /longer than 2048 characters/],
      ] as const) {
        const response = await h.request("GET", `/admin/v1/deliveries?payload=${encodeURIComponent(input)}`);
        assert.equal(response.status, 400, input);
        const message = String((response.body.error as { message: string }).message);
        assert.match(message, reason, input);
        if (input.length < 100) assert.match(message, /JSON fragment .* or key=value pairs/, input);
      }
    });
  });
}

describe("queued deliveries held by the breaker", () => {
  let h: AdminHarness;
  before(async () => {
    const endpoint = testEndpoint("flaky", "acme");
    h = await openAdminHarness("embedded", {
      configEndpoints: [
        {
          ...endpoint,
          policy: {
            ...endpoint.policy,
            breaker: { ...DEFAULT_ENDPOINT_POLICY.breaker, minRequests: 2, failureRate: 0.5, cooldownMs: 600_000 },
          },
        },
        testEndpoint("calm", "acme"),
        testEndpoint("elsewhere", "globex"),
      ],
    });
  });
  after(() => h.close());

  it("shows an endpoint's live queue, what holds it and until when, per endpoint and on each delivery", async () => {
    const ids = await enqueue(h, "flaky", "order.created", 5);
    const now = Date.now();
    const { deliveries } = await h.store.claim({ workerId: "t", max: 2, leaseMs: 60_000, now });
    await h.store.complete(
      "t",
      deliveries.map((d) => ({
        deliveryId: d.deliveryId,
        kind: "retry" as const,
        dueAt: now + 1000,
        attempt: { startedAt: new Date(now).toISOString(), durationMs: 5, status: 500 },
      })),
      now,
    );
    assert.equal(deliveries.length, 2);
    await enqueue(h, "elsewhere", "order.created", 1);
    const queues = await h.request("GET", "/admin/v1/queues?owner=acme");
    assert.equal(queues.status, 200);
    assert.deepEqual(
      queues.body.data?.map((q) => q.endpointId),
      ["flaky"],
      "endpoints without live deliveries left out",
    );
    const flaky = queues.body.data?.[0] as {
      queued: number;
      breaker: string;
      hold: { heldBy: string; until?: string };
    };
    assert.equal(flaky.queued, 5);
    assert.equal(flaky.breaker, "open");
    assert.equal(flaky.hold.heldBy, "breaker");
    assert.ok(Date.parse(flaky.hold.until ?? "") > now);

    const queued = await h.request("GET", `/admin/v1/deliveries/${ids[4]}`);
    assert.equal(queued.body.status, "queued");
    assert.equal((queued.body.hold as { heldBy: string }).heldBy, "breaker");

    // A portal token sees its owner's queues only.
    const token = await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "globex" } });
    const theirs = await h.request("GET", "/admin/v1/queues", { key: String(token.body.token) });
    assert.deepEqual(
      theirs.body.data?.map((q) => q.endpointId),
      ["elsewhere"],
    );
    assert.equal(theirs.body.data?.[0]?.hold, undefined);
    const refused = await h.request("GET", "/admin/v1/queues?endpointId=flaky", { key: String(token.body.token) });
    assert.equal(refused.status, 404);

    await h.store.setEndpointEnabled("elsewhere", false, Date.now());
    const disabled = await h.request("GET", "/admin/v1/queues?endpointId=elsewhere");
    assert.deepEqual(disabled.body.data?.[0]?.hold, { heldBy: "disabled", reason: "disabled by operator" });
  });
});
