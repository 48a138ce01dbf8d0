import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { BrowserContext } from "playwright-core";
import type { EventType } from "./catalogue/event-type.js";
import type { AdminHarness } from "./testing/admin-harness.js";
import { type BrowserHarness, listen, openBrowserHarness } from "./testing/browser-harness.js";

const CATALOGUE: EventType[] = [
  {
    name: "invoice.paid",
    description: "An invoice was paid in full.",
    group: "Invoices",
    schema: { type: "object", required: ["invoiceId", "amount"], properties: { amount: { type: "number" } } },
    example: { invoiceId: "in_123", amount: 42 },
    deprecated: false,
    validation: "reject",
  },
  {
    name: "invoice.voided",
    description: "An invoice was voided.",
    group: "Invoices",
    example: { invoiceId: "in_123" },
    deprecated: false,
    validation: "warn",
  },
  {
    name: "customer.created",
    description: "A new customer.",
    group: "Customers",
    deprecated: false,
    validation: "off",
  },
  {
    name: "customer.legacy",
    description: "Use customer.created.",
    group: "Customers",
    deprecated: true,
    validation: "off",
  },
];

/**
 * The self-service customer portal in Debian's headless Chromium (playwright-core) against the admin plugin, the
 * Redis store, a real worker and a local receiver: a customer opens the portal link, creates an endpoint, picks
 * two event types from the catalogue, sends a test event and watches it arrive, reveals and rotates the secret,
 * and cannot see or touch another owner's data; a read-only link is refused every change. Every page passes an
 * axe-core check (WCAG 2 A/AA) and is screenshotted to test-artifacts/portal/. The portal is also embedded in
 * an iframe of another origin and reports its height.
 */
describe("customer portal in Chromium", () => {
  let b: BrowserHarness;
  let h: AdminHarness;
  let receiverUrl: string;
  let parent: Server;
  let parentOrigin: string;
  let context: BrowserContext;
  let check: BrowserHarness["check"];
  const received: { path: string; body: string; signature: string }[] = [];

  before(async () => {
    // The operator's app, on another origin, embedding the portal and recording the heights it reports.
    parent = await listen((request, response) => {
      const src = new URL(request.url ?? "/", "http://x").searchParams.get("src") ?? "";
      response.setHeader("content-type", "text/html");
      response.end(`<!doctype html><html lang="en"><title>Operator app</title><body><h1>Operator app</h1>
        <iframe title="Webhooks portal" src="${src.replaceAll('"', "&quot;")}" style="width:100%;border:0"></iframe>
        <script>window.heights=[];addEventListener("message",(e)=>{if(e.data&&e.data.type==="hookyard:resize"){
        window.heights.push(e.data.height);document.querySelector("iframe").style.height=e.data.height+"px";}});</script>`);
    });
    parentOrigin = `http://127.0.0.1:${(parent.address() as AddressInfo).port}`;
    b = await openBrowserHarness({
      artifacts: "portal",
      receive: (request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          received.push({
            path: request.url ?? "",
            body: Buffer.concat(chunks).toString(),
            signature: String(request.headers["webhook-signature"] ?? ""),
          });
          response.end("ok");
        });
      },
      admin: () => ({
        configEventTypes: CATALOGUE,
        settings: {
          frameAncestors: [parentOrigin],
          branding: { name: "Acme Webhooks", colors: { accent: "#5b21b6" }, theme: "auto" },
        },
      }),
    });
    ({ h, receiverUrl, context, check } = b);
  });

  after(async () => {
    await b?.close();
    await new Promise((resolve) => parent?.close(resolve));
  });

  async function portalLink(owner: string, scope: "read" | "manage"): Promise<string> {
    const issued = await h.request("POST", "/admin/v1/portal-tokens", { body: { owner, scope } });
    assert.equal(issued.status, 201);
    return `${h.url}${issued.body.dashboardPath}`;
  }

  it("onboards a customer: create an endpoint, pick two types, test event delivered, reveal and rotate the secret", async () => {
    await h.request("POST", "/admin/v1/endpoints", {
      body: { id: "globex-hooks", owner: "globex", url: `${receiverUrl}/globex` },
    });
    const page = await context.newPage();
    await page.goto(await portalLink("acme", "manage"));
    await page.getByText("Customer portal: acme").waitFor();
    await page.locator(".brand", { hasText: "Acme Webhooks" }).waitFor();
    assert.equal(await page.title(), "Acme Webhooks webhooks");
    assert.equal(await page.getByRole("link", { name: "globex-hooks" }).count(), 0, "another owner's endpoint");
    await check(page, "1-endpoints-empty");

    await page.getByRole("link", { name: "New endpoint" }).click();
    await page.getByRole("heading", { name: "New endpoint" }).waitFor();
    await page.getByLabel("Endpoint URL").fill("http://10.0.0.7/hooks");
    await page.getByLabel("invoice.paid").check();
    await page.getByLabel("invoice.voided").check();
    await check(page, "2-new-endpoint");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByRole("status").filter({ hasText: "private address, refused by the egress policy" }).waitFor();
    await page.getByLabel("Endpoint URL").fill(`${receiverUrl}/acme`);
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByRole("heading", { name: "Endpoint created" }).waitFor();
    const secret = (await page.locator("pre.secret").textContent()) ?? "";
    assert.match(secret, /^whsec_/);
    await check(page, "3-endpoint-created");

    await page.getByRole("link", { name: "Open endpoint" }).click();
    await page.getByRole("heading", { name: /^Endpoint/ }).waitFor();
    const created = h.registry.list().find((m) => m.endpoint.owner === "acme");
    assert.deepEqual(created?.eventTypes, ["invoice.paid", "invoice.voided"]);
    assert.equal(await page.locator('input[name="type"][value="invoice.paid"]').isChecked(), true);

    await page.getByLabel("Event type").selectOption("invoice.paid");
    await page.getByRole("button", { name: "Send test event" }).click();
    // As long as the page itself watches (30 s): the worker may be slow on a loaded machine.
    await page.locator("#test-result", { hasText: "delivered" }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator("#test-result").textContent()) ?? "", /HTTP 200/);
    const arrived = received.find((r) => r.path === "/acme");
    // The Standard Webhooks structure: the test event's type, its time, the catalogue example as data.
    const structured = JSON.parse(arrived?.body ?? "null") as { type: string; timestamp: string; data: unknown };
    assert.equal(structured.type, "invoice.paid");
    assert.deepEqual(structured.data, { invoiceId: "in_123", amount: 42 });
    assert.match(arrived?.signature ?? "", /^v1,/);
    await check(page, "4-test-event-delivered");

    await page.getByRole("button", { name: "Reveal secret" }).click();
    assert.equal((await page.locator("#secret-panel pre").first().textContent())?.trim(), secret);
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("status").filter({ hasText: "New secret: whsec_" }).waitFor();
    const rotated = h.registry.get(created?.endpoint.id ?? "");
    assert.equal(rotated?.secrets.length, 2, "the old secret keeps signing during the grace period");
    assert.notEqual(rotated?.secrets[0]?.secret, secret);
    await page.getByRole("button", { name: "Reveal secret" }).click();
    await page.locator("#secret-panel pre").nth(1).waitFor();
    await check(page, "5-secret-rotated");

    await page.getByRole("link", { name: "Deliveries", exact: true }).first().click();
    await page.getByRole("heading", { name: "Deliveries", exact: true }).waitFor();
    await check(page, "6a-deliveries");
    await page.locator("table a[href^='#/deliveries/']").first().click();
    await page.getByRole("heading", { name: /Attempts/ }).waitFor();
    await check(page, "6b-delivery");

    await page.getByRole("navigation").getByRole("link", { name: "Event types" }).click();
    await page.getByRole("heading", { name: "Event types" }).waitFor();
    await page.getByRole("heading", { name: "invoice.paid" }).waitFor();
    assert.match((await page.locator("#type-invoice-paid").textContent()) ?? "", /"invoiceId": "in_123"/);
    await check(page, "6-event-types");

    // Another owner's endpoint: not shown, not readable, not deletable, even by id.
    await page.goto(`${h.url}/dashboard/#/endpoints/globex-hooks`);
    await page.getByRole("alert").filter({ hasText: "endpoint not found" }).waitFor();
    const statuses = await page.evaluate(async () => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
        .sessionStorage;
      const token = storage.getItem("hookyard.credential") ?? "";
      const call = (method: string, path: string) =>
        fetch(`/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      return [
        await call("GET", "/endpoints/globex-hooks/secret"),
        await call("DELETE", "/endpoints/globex-hooks?force=true"),
        await call("POST", "/endpoints/globex-hooks/rotate-secret"),
      ];
    });
    assert.deepEqual(statuses, [404, 404, 404]);
    assert.ok(h.registry.get("globex-hooks"), "untouched");

    // Deleting its own endpoint from the portal.
    await page.goto(`${h.url}/dashboard/#/endpoints/${created?.endpoint.id}`);
    await page.getByRole("button", { name: "Delete endpoint" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    assert.equal(h.registry.isDeleted(created?.endpoint.id ?? ""), true);
    const audit = ((await h.request("GET", "/admin/v1/audit?limit=20")).body.data ?? []).filter(
      (entry) => (entry.actor as { id: string }).id === "acme",
    );
    assert.deepEqual(audit.map((entry) => entry.action).reverse(), [
      "endpoint.create",
      "endpoint.test",
      "endpoint.reveal-secret",
      "endpoint.rotate-secret",
      "endpoint.reveal-secret",
      "endpoint.delete",
    ]);
    await page.close();
  });

  it("refuses every change through a read-only link, in the page and at the API", async () => {
    await h.request("POST", "/admin/v1/endpoints", {
      body: { id: "acme-ro", owner: "acme", url: `${receiverUrl}/ro`, eventTypes: ["invoice.*"] },
    });
    const page = await context.newPage();
    await page.goto(await portalLink("acme", "read"));
    await page.getByText("Customer portal: acme (read-only)").waitFor();
    assert.equal(await page.getByRole("link", { name: "New endpoint" }).count(), 0);
    await page.getByRole("link", { name: "acme-ro" }).click();
    await page.getByRole("heading", { name: /^Endpoint/ }).waitFor();
    for (const name of [
      "Delete endpoint",
      "Rotate secret",
      "Reveal secret",
      "Send test event",
      "Disable",
      "Save settings",
    ]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    await check(page, "7-read-only-endpoint");
    // The same page in the dark theme (branding theme "auto" on a dark system), checked for contrast too.
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document
          .documentElement.dataset.theme === "dark",
    );
    await check(page, "7a-read-only-endpoint-dark");
    const statuses = await page.evaluate(async () => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
        .sessionStorage;
      const token = storage.getItem("hookyard.credential") ?? "";
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`/admin/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).then((r) => r.status);
      return [
        await call("POST", "/endpoints", { url: "https://x.example/h" }),
        await call("PATCH", "/endpoints/acme-ro", { url: "https://x.example/h" }),
        await call("POST", "/endpoints/acme-ro/test", {}),
        await call("POST", "/endpoints/acme-ro/rotate-secret", {}),
        await call("DELETE", "/endpoints/acme-ro"),
        await call("GET", "/endpoints/acme-ro/secret"),
        await call("GET", "/endpoints/acme-ro"),
      ];
    });
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403, 200]);
    await page.close();
  });

  it("embeds in the operator's app (frame-ancestors) and reports its height with postMessage", async () => {
    const page = await context.newPage();
    await page.goto(`${parentOrigin}/?src=${encodeURIComponent(await portalLink("acme", "manage"))}`);
    const frame = page.frameLocator("iframe");
    await frame.getByText("Customer portal: acme").waitFor();
    // The first report is the sign-in shell; once the endpoints page is drawn, its height follows, and the
    // operator's page sizes the frame to it (compared with the content's own height, not a fixed figure: the
    // page's length depends on what earlier tests left).
    await frame.getByRole("heading", { name: "Endpoints", exact: true }).waitFor();
    const content = await frame.locator(":root").evaluate((element) => Math.ceil(element.scrollHeight));
    await page.waitForFunction(
      (height) => (globalThis as unknown as { heights: number[] }).heights.at(-1) === height,
      content,
    );
    const frameHeight = await page.locator("iframe").evaluate((element) => element.getBoundingClientRect().height);
    assert.equal(Math.round(frameHeight), content, "the operator's page sized the frame to the portal's height");
    assert.ok(content > 300, `the endpoints page is drawn (${content}px)`);
    await b.shot(page, "8-embedded");
    await page.close();
  });
});
