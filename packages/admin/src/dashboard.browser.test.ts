import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createHttpDelivery, type HttpDelivery } from "@hookyard/delivery";
import { createWorker, type Worker } from "@hookyard/scheduler";
import type { BrowserContext, Page } from "playwright-core";
import { ADMIN_KEY, type AdminHarness, openAdminHarness } from "./testing/admin-harness.js";
import { launchChromium } from "./testing/chromium.js";

const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/dashboard/", import.meta.url));

/**
 * The dashboard in Debian's headless Chromium (playwright-core, no browser download) against a real Hookyard
 * admin plugin, Redis store, worker and HTTP receiver: find a failed delivery, read its attempts, fix the
 * endpoint URL, retry, see it delivered. Screenshots of the main pages go to test-artifacts/dashboard/.
 */
describe("dashboard in Chromium", () => {
  let h: AdminHarness;
  let receiver: Server;
  let receiverUrl: string;
  let delivery: HttpDelivery;
  let worker: Worker;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const received: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    receiver = createServer((request, response) => {
      received.push(request.url ?? "");
      request.resume();
      response.statusCode = request.url === "/ok" ? 200 : 500;
      response.end(request.url === "/ok" ? "thanks" : "receiver is broken");
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    h = await openAdminHarness("redis", {
      // One attempt, so a failure is dead at once (a dashboard user then fixes and retries it).
      defaultPolicy: { ...DEFAULT_ENDPOINT_POLICY, retry: { ...DEFAULT_ENDPOINT_POLICY.retry, scheduleMs: [0] } },
    });
    delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
    worker = createWorker({
      store: h.store,
      endpoints: (id) => h.registry.get(id),
      send: (claimed, endpoint, signal) => delivery.send(endpoint, claimed.envelope, claimed.attempt, { signal }),
      maxIdleMs: 200,
    });
    worker.start();
    browser = await launchChromium();
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await worker?.stop({ graceMs: 0 });
    await delivery?.close();
    await h?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

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
    await shot(page, "portal");
    await page.getByRole("navigation").getByRole("link", { name: "Deliveries" }).click();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor();
    await shot(page, "deliveries");
    await page.close();
  });
});
