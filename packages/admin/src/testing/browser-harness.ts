import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createHttpDelivery, type HttpDelivery } from "@hookyard/delivery";
import { createWorker, type Worker } from "@hookyard/scheduler";
import type { BrowserContext, Page } from "playwright-core";
import { type AdminHarness, openAdminHarness } from "./admin-harness.js";
import { launchChromium } from "./chromium.js";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * What every browser test of the dashboard and portal stands on: the admin plugin over the Redis store, a real
 * worker delivering over HTTP to a local receiver, and Debian's Chromium; screenshots and axe-core checks into
 * test-artifacts/<name>/.
 */
export interface BrowserHarness {
  readonly h: AdminHarness;
  readonly context: BrowserContext;
  /** The local receiver's base URL (http://127.0.0.1:<port>). */
  readonly receiverUrl: string;
  /** A full-page screenshot into the test's artifacts folder. */
  shot(page: Page, name: string): Promise<void>;
  /** axe-core (WCAG 2.0/2.1 A and AA) in the page, then a screenshot; any violation fails the test. */
  check(page: Page, name: string): Promise<void>;
  /** Fails unless the page fits its viewport's width (no horizontal scrolling). */
  assertNoHorizontalScroll(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowserHarness(options: {
  /** test-artifacts/<artifacts>/ */
  artifacts: string;
  receive: (request: IncomingMessage, response: ServerResponse) => void;
  /** Options of the admin harness, given the receiver's URL (for config endpoints pointing at it). */
  admin?: (receiverUrl: string) => Parameters<typeof openAdminHarness>[1];
}): Promise<BrowserHarness> {
  const folder = fileURLToPath(new URL(`../../../../test-artifacts/${options.artifacts}/`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  const receiver = await listen(options.receive);
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  let h: AdminHarness | undefined;
  let delivery: HttpDelivery | undefined;
  let worker: Worker | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const close = async () => {
    await browser?.close();
    await worker?.stop({ graceMs: 0 });
    await delivery?.close();
    await h?.close();
    await new Promise((resolve) => receiver.close(resolve));
  };
  try {
    h = await openAdminHarness("redis", {
      // One attempt, so a failure is dead at once (a user then fixes and retries it).
      defaultPolicy: { ...DEFAULT_ENDPOINT_POLICY, retry: { ...DEFAULT_ENDPOINT_POLICY.retry, scheduleMs: [0] } },
      ...options.admin?.(receiverUrl),
    });
    const admin = h;
    const http = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
    delivery = http;
    worker = createWorker({
      store: admin.store,
      endpoints: (id) => admin.registry.get(id),
      send: (claimed, endpoint, signal) => http.send(endpoint, claimed.envelope, claimed.attempt, { signal }),
      maxIdleMs: 200,
    });
    worker.start();
    browser = await launchChromium();
  } catch (error) {
    await close();
    throw error;
  }
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  };
  return {
    h,
    context: browser.context,
    receiverUrl,
    shot,
    async check(page, name) {
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } }).axe;
        const result = await axe.run({
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return result.violations as { id: string; help: string; nodes: { target: string[] }[] }[];
      });
      await shot(page, name);
      const summary = violations.map(
        (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
      );
      assert.deepEqual(summary, [], `axe on ${name}`);
    },
    async assertNoHorizontalScroll(page, name) {
      const { scrollWidth, innerWidth, wide } = await page.evaluate(() => {
        const g = globalThis as unknown as {
          innerWidth: number;
          document: {
            documentElement: { scrollWidth: number };
            querySelectorAll(s: string): Iterable<{
              tagName: string;
              className: string;
              getBoundingClientRect(): { right: number };
            }>;
          };
        };
        // The elements reaching past the right edge, to say what to fix.
        const wide = [...g.document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > g.innerWidth + 0.5)
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
        return { scrollWidth: g.document.documentElement.scrollWidth, innerWidth: g.innerWidth, wide };
      });
      assert.ok(
        scrollWidth <= innerWidth,
        `${name}: the page is ${scrollWidth}px wide in a ${innerWidth}px viewport (${wide.join(", ")})`,
      );
    },
    close,
  };
}

export async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
