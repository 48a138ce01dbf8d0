import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY, type Endpoint } from "@hookyard/core";
import type { BrowserContext, Page } from "playwright-core";
import { ADMIN_KEY, type AdminHarness, testEndpoint } from "./testing/admin-harness.js";
import { type BrowserHarness, openBrowserHarness } from "./testing/browser-harness.js";

/**
 * The dashboard in Debian's headless Chromium (playwright-core, no browser download) against a real Hookyard
 * admin plugin, Redis store, worker and HTTP receiver: find a failed delivery, read its attempts, fix the
 * endpoint URL, retry, see it delivered. Screenshots of the main pages go to test-artifacts/dashboard/.
 */
describe("dashboard in Chromium", () => {
  let b: BrowserHarness;
  let h: AdminHarness;
  let receiverUrl: string;
  let context: BrowserContext;
  let shot: BrowserHarness["shot"];
  const received: string[] = [];

  before(async () => {
    b = await openBrowserHarness({
      artifacts: "dashboard",
      receive: (request, response) => {
        received.push(request.url ?? "");
        request.resume();
        response.statusCode = request.url === "/ok" ? 200 : 500;
        response.end(request.url === "/ok" ? "thanks" : "receiver is broken");
      },
      admin: (url) => ({ configEndpoints: [heldEndpoint(url)] }),
    });
    ({ h, receiverUrl, context, shot } = b);
  });

  after(() => b?.close());

  it("finds a failed delivery, reads its attempts, fixes the URL, retries and sees it delivered", async () => {
    const created = await h.request("POST", "/admin/v1/endpoints", {
      body: { id: "shop-orders", owner: "acme", url: `${receiverUrl}/broken`, eventTypes: ["order.*"] },
    });
    assert.equal(created.status, 201);
    const test = await h.request("POST", "/admin/v1/endpoints/shop-orders/test", { body: { type: "order.created" } });
    const deliveryId = String(test.body.deliveryId);
    const deadline = Date.now() + 15_000;
    while ((await h.history.getDelivery(deliveryId))?.status !== "dead") {
      assert.ok(Date.now() < deadline, "the delivery fails against the broken URL");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const page = await context.newPage();
    const response = await page.goto(`${h.url}/dashboard/`);
    assert.match(response?.headers()["content-security-policy"] ?? "", /frame-ancestors https:\/\/app\.example\.com/);
    await page.getByLabel("Admin API key or portal token").fill(ADMIN_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    await page.getByRole("link", { name: "shop-orders" }).waitFor();
    await shot(page, "endpoints");

    await page.getByRole("navigation").getByRole("link", { name: "Deliveries" }).click();
    await page.getByLabel("Status").selectOption("dead");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: deliveryId }).click();
    await page.getByRole("heading", { name: /Attempts \(1\)/ }).waitFor();
    const attempt = page.locator(".attempt").first();
    assert.match((await attempt.textContent()) ?? "", /HTTP 500/);
    assert.match((await attempt.textContent()) ?? "", /receiver is broken/);
    assert.match((await attempt.textContent()) ?? "", /webhook-signature/);
    await shot(page, "delivery-failed");

    await page.locator(".facts").getByRole("link", { name: "shop-orders" }).click();
    await page.getByRole("heading", { name: /Endpoint/ }).waitFor();
    await page.getByLabel("URL").fill(`${receiverUrl}/ok`);
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved" }).waitFor();
    assert.equal(h.registry.get("shop-orders")?.url, `${receiverUrl}/ok`);
    await shot(page, "endpoint-settings");

    await page.goto(`${h.url}/dashboard/#/deliveries/${deliveryId}`);
    await page.getByRole("button", { name: "Retry delivery" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Retry" }).click();
    await page.getByRole("status").filter({ hasText: "Delivery queued again" }).waitFor();
    const settledBy = Date.now() + 15_000;
    for (;;) {
      await page.reload();
      await page.getByRole("heading", { name: /Attempts/ }).waitFor();
      if ((await page.locator(".facts .badge").first().textContent()) === "delivered") break;
      assert.ok(Date.now() < settledBy, "the retried delivery succeeds");
      await page.waitForTimeout(200);
    }
    assert.match((await page.locator(".attempt").first().textContent()) ?? "", /HTTP 200/);
    assert.ok(received.includes("/ok"));
    await shot(page, "delivery-succeeded");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.url}/dashboard/#/endpoints/shop-orders`);
    await page.getByRole("heading", { name: /Endpoint/ }).waitFor();
    await shot(page, "endpoint-phone");
    await page.close();
  });

  it("opens the customer portal from a token link, showing one owner only", async () => {
    await h.request("POST", "/admin/v1/endpoints", {
      body: { id: "other-co", owner: "globex", url: `${receiverUrl}/ok` },
    });
    const issued = await h.request("POST", "/admin/v1/portal-tokens", { body: { owner: "acme" } });
    const page = await context.newPage();
    await page.goto(`${h.url}${issued.body.dashboardPath}`);
    await page.getByText("Customer portal: acme").waitFor();
    await page.getByRole("link", { name: "shop-orders" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "other-co" }).count(), 0);
    assert.doesNotMatch(page.url(), /token=/, "the token leaves the address bar");
    await b.check(page, "portal");
    await page.getByRole("navigation").getByRole("link", { name: "Deliveries" }).click();
    await page.getByRole("heading", { name: "Deliveries", exact: true }).waitFor();
    await b.check(page, "portal-deliveries");
    // The portal's delivery log on a phone: searchable, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel("Payload contains").fill("n=1");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: "Settled deliveries, newest first" }).waitFor();
    await b.assertNoHorizontalScroll(page, "portal-deliveries-phone");
    await b.check(page, "portal-deliveries-phone");
    await page.close();
  });

  it("searches the delivery log by payload, type glob and order; views and copies JSON; shows held queues; fits a phone", async () => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: h.url });
    await h.request("POST", "/admin/v1/endpoints", {
      body: { id: "log-shop", owner: "acme", url: `${receiverUrl}/ok` },
    });
    const events = [
      ["order.created", { customer: { id: "c_42" }, total: 10 }],
      ["order.paid", { customer: { id: "c_42" }, total: 10, note: "<img src=x onerror=alert(1)>" }],
      ["order.created", { customer: { id: "c_7" }, total: 20 }],
      ["invoice.paid", { customer: { id: "c_42" } }],
    ] as const;
    const ids: string[] = [];
    for (const [i, [type, payload]] of events.entries()) {
      const queued = await h.store.enqueue({
        envelope: createEnvelope({
          id: `evt-log-${i}`,
          source: "test",
          type,
          data: JSON.stringify(payload),
          contentType: "application/json",
        }),
        endpointIds: ["log-shop"],
        now: Date.now() + i, // distinct creation times: the order is the enqueue order
      });
      ids.push(queued.deliveryIds[0] ?? "");
    }
    await settled(ids);
    // The held endpoint: its first delivery fails and opens the breaker (cooldown 10 min), the next ones wait.
    const held: string[] = [];
    for (const n of [0, 1, 2]) {
      const queued = await h.store.enqueue({
        envelope: createEnvelope({ id: `evt-held-${n}`, source: "test", type: "order.created", data: "{}" }),
        endpointIds: ["held-ep"],
        now: Date.now(),
      });
      held.push(queued.deliveryIds[0] ?? "");
    }
    await until(async () => {
      const queues = await h.request("GET", "/admin/v1/queues?endpointId=held-ep");
      return (queues.body.data?.[0]?.hold as { heldBy?: string } | undefined)?.heldBy === "breaker";
    }, "the held endpoint's breaker opens");

    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${h.url}/dashboard/#/deliveries?endpointId=log-shop`);
    await page.getByRole("heading", { name: "Queued now" }).waitFor();
    await page.getByLabel("Event type").fill("order.*");
    await page.getByLabel("Payload contains").fill("customer.id=c_42");
    await page.getByLabel("Sort").selectOption("oldest");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: "Settled deliveries, oldest first" }).waitFor();
    assert.deepEqual(await page.locator("table.log tbody tr td:first-child").allTextContents(), [ids[0], ids[1]]);
    await page.getByLabel("Sort").selectOption("newest");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: "Settled deliveries, newest first" }).waitFor();
    assert.deepEqual(await page.locator("table.log tbody tr td:first-child").allTextContents(), [ids[1], ids[0]]);
    const chart = page.getByRole("img", { name: /Deliveries over time/ });
    assert.match((await chart.getAttribute("aria-labelledby")) ?? "", /chart-/);
    assert.ok((await page.locator(".chart .axis text").count()) >= 8, "tick labels on both axes");
    await b.check(page, "log-search");

    // Bad input: the API's message under the form, the field marked invalid and described by it.
    await page.getByLabel("Payload contains").fill('{"customer":');
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("alert").filter({ hasText: "the JSON does not parse" }).waitFor();
    const payloadField = page.getByLabel("Payload contains");
    assert.equal(await payloadField.getAttribute("aria-invalid"), "true");
    assert.match((await payloadField.getAttribute("aria-describedby")) ?? "", /filter-error/);
    await b.check(page, "log-search-error");

    // The queued deliveries of the held endpoint, with the breaker named.
    await page.goto(`${h.url}/dashboard/#/deliveries?endpointId=held-ep`);
    const queued = page.locator(".queued-now li", { hasText: "held-ep" });
    await queued.waitFor();
    assert.match((await queued.textContent()) ?? "", /3 queued, 0 in flight\s*Held by the breaker until/);
    await b.check(page, "log-held");
    await page.goto(`${h.url}/dashboard/#/deliveries/${held[2]}`);
    await page.getByRole("heading", { name: /Attempts/ }).waitFor();
    assert.match((await page.locator(".facts").textContent()) ?? "", /queued.*Held by the breaker until/s);
    await b.check(page, "log-held-delivery");

    // One delivery: JSON viewer (no markup from the payload), copy with the keyboard.
    await page.goto(`${h.url}/dashboard/#/deliveries/${ids[1]}`);
    await page.getByRole("heading", { name: `Delivery ${ids[1]}` }).waitFor();
    const viewer = page.getByRole("region", { name: "Payload (JSON)" });
    assert.match((await viewer.textContent()) ?? "", /"note": "<img src=x onerror=alert\(1\)>"/);
    assert.equal(await page.locator(".viewer-body img").count(), 0, "payload text is never parsed as HTML");
    await page.getByRole("button", { name: "Copy payload" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "Payload copied" }).waitFor();
    const copied = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    assert.equal(copied, JSON.stringify(events[1][1]), "the exact payload, as sent");
    await page.keyboard.press("Tab");
    assert.equal(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { className: string } } }).document.activeElement
            .className,
      ),
      "viewer-body",
      "the viewer is the next stop: keyboard users can scroll it",
    );
    await page.getByRole("button", { name: "Copy request headers" }).first().waitFor();
    await b.check(page, "log-delivery-json");

    // A phone: nothing scrolls sideways and every control is on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [
      ["phone-log", "#/deliveries?endpointId=log-shop&payload=customer.id%3Dc_42"],
      ["phone-delivery", `#/deliveries/${ids[1]}`],
      ["phone-endpoints", "#/endpoints"],
    ] as const) {
      await page.goto(`${h.url}/dashboard/${path}`);
      await page.locator("#page-title").waitFor();
      await b.assertNoHorizontalScroll(page, name);
      const outside = await page.evaluate(() => {
        const g = globalThis as unknown as {
          innerWidth: number;
          document: {
            querySelectorAll(s: string): Iterable<{
              getBoundingClientRect(): { left: number; right: number; width: number };
              textContent: string | null;
            }>;
          };
        };
        return [...g.document.querySelectorAll("main button, main input, main select, main a, nav a")]
          .filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.left < 0 || r.right > g.innerWidth + 0.5);
          })
          .map((e) => e.textContent);
      });
      assert.deepEqual(outside, [], `${name}: controls outside the screen`);
      await b.check(page, name);
    }
    await page.getByRole("navigation").getByRole("link", { name: "Deliveries" }).click();
    await page.getByLabel("Payload contains").fill("total=20");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("table.log tbody tr", { hasText: ids[2] ?? "" }).waitFor();
    await page.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${h.url}/dashboard/`);
    await page.getByLabel("Admin API key or portal token").fill(ADMIN_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
  }

  async function settled(ids: readonly string[]): Promise<void> {
    await until(
      async () => (await Promise.all(ids.map((id) => h.history.getDelivery(id)))).every((d) => d !== undefined),
      "the deliveries reach the history",
    );
  }
});

/** An endpoint whose breaker opens at its first failure and stays open for 10 minutes; retried after 10. */
function heldEndpoint(receiverUrl: string): Endpoint {
  const endpoint = testEndpoint("held-ep", "acme", `${receiverUrl}/broken`);
  return {
    ...endpoint,
    policy: {
      ...endpoint.policy,
      retry: { ...DEFAULT_ENDPOINT_POLICY.retry, scheduleMs: [0, 600_000] },
      breaker: { ...DEFAULT_ENDPOINT_POLICY.breaker, minRequests: 1, failureRate: 0.5, cooldownMs: 600_000 },
    },
  };
}

/** Polls a condition the test cannot be told about (the worker and the hand-off run on their own). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
