import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import type { ResolveHost } from "./guarded-connect.js";
import { createHttpDelivery } from "./http-delivery.js";
import { startServer, type TestServer, testEndpoint } from "./test-support.js";

const envelope = createEnvelope({ id: "evt_ssrf", source: "test", type: "t", data: "{}" });

describe("SSRF guard in the delivery client", () => {
  let internal: TestServer;

  before(async () => {
    internal = await startServer((_req, res) => res.end("internal data"));
  });
  after(async () => {
    await internal.close();
  });

  const literalUrls = (port: number): string[] => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://127.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::1]:${port}/`,
    `http://0.0.0.0:${port}/`,
    `http://169.254.169.254:${port}/latest/meta-data/`,
    `http://localhost:${port}/`,
  ];

  it("refuses loopback, metadata and odd IPv4 spellings by default: rejected, nothing sent", async () => {
    const delivery = createHttpDelivery();
    try {
      for (const url of literalUrls(internal.port)) {
        const outcome = await delivery.send(testEndpoint(url), envelope, 1);
        assert.equal(outcome.kind, "rejected", url);
        assert.equal(outcome.attempt.errorClass, "ssrf_blocked", url);
        assert.match(outcome.attempt.errorMessage ?? "", /refused by the SSRF guard/, url);
      }
      assert.equal(internal.requests.length, 0);
    } finally {
      await delivery.close();
    }
  });

  it("refuses a hostname that resolves to a private address, or to a mix of public and private", async () => {
    const answers: Record<string, ReturnType<ResolveHost>> = {
      "hooks.customer.example": Promise.resolve([{ address: "10.0.0.5", family: 4 }]),
      "mixed.customer.example": Promise.resolve([
        { address: "93.184.216.34", family: 4 },
        { address: "fd00::1", family: 6 },
      ]),
    };
    const resolve: ResolveHost = (hostname) => answers[hostname] ?? Promise.reject(new Error(`unexpected ${hostname}`));
    const delivery = createHttpDelivery({ resolve });
    try {
      const first = await delivery.send(testEndpoint("https://hooks.customer.example/in"), envelope, 1);
      assert.equal(first.kind, "rejected");
      assert.equal(first.attempt.errorClass, "ssrf_blocked");
      assert.match(first.attempt.errorMessage ?? "", /hooks\.customer\.example \(10\.0\.0\.5\).*private/);
      const mixed = await delivery.send(testEndpoint("http://mixed.customer.example/in"), envelope, 1);
      assert.equal(mixed.kind, "rejected");
      assert.match(mixed.attempt.errorMessage ?? "", /fd00::1.*unique_local/);
    } finally {
      await delivery.close();
    }
  });

  it("a DNS failure is a retry with errorClass dns", async () => {
    const resolve: ResolveHost = () =>
      Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" }));
    const delivery = createHttpDelivery({ resolve });
    try {
      const outcome = await delivery.send(testEndpoint("http://nowhere.invalid/"), envelope, 1);
      assert.equal(outcome.kind, "retry");
      assert.equal(outcome.attempt.errorClass, "dns");
    } finally {
      await delivery.close();
    }
  });

  it("with the allow-list 127.0.0.0/8 (and ::1) a local server receives the request", async () => {
    const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8", "::1/128"] } });
    try {
      const before = internal.requests.length;
      const byIp = await delivery.send(testEndpoint(`http://127.0.0.1:${internal.port}/a`), envelope, 1);
      const byName = await delivery.send(testEndpoint(`http://localhost:${internal.port}/b`), envelope, 1);
      // localhost may resolve to ::1 first; the server only listens on 127.0.0.1, so allow either outcome there
      assert.equal(byIp.kind, "delivered");
      assert.ok(byName.kind === "delivered" || byName.attempt.errorClass === "connect", byName.attempt.errorMessage);
      assert.ok(internal.requests.length > before);
    } finally {
      await delivery.close();
    }
  });

  describe("with a 'public' server on 127.0.0.2 (allow-listed as /32) and an internal one on 127.0.0.1", () => {
    let publicServer: TestServer;
    let internalTwin: TestServer;

    before(async () => {
      internalTwin = await startServer((_req, res) => res.end("secret"));
      // Same port on another loopback address, so one URL can reach either depending on DNS.
      publicServer = await startServer(
        (request, response) => {
          if (request.url === "/redirect") {
            response.writeHead(302, { location: `http://127.0.0.1:${internalTwin.port}/admin` }).end();
            return;
          }
          // Closing each connection forces a fresh connect (and lookup) for the next attempt.
          response.writeHead(200, { connection: "close" }).end("ok");
        },
        { host: "127.0.0.2", port: internalTwin.port },
      );
    });
    after(async () => {
      await publicServer.close();
      await internalTwin.close();
    });

    it("a redirect to a private address is not followed", async () => {
      const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.2/32"] } });
      try {
        const outcome = await delivery.send(
          testEndpoint(`http://127.0.0.2:${publicServer.port}/redirect`),
          envelope,
          1,
        );
        assert.equal(outcome.kind, "retry");
        assert.equal(outcome.attempt.errorClass, "redirect");
        assert.equal(internalTwin.requests.length, 0);
      } finally {
        await delivery.close();
      }
    });

    it("DNS rebinding: the address is checked by the lookup the socket connects with, on every connect", async () => {
      const lookups: string[] = [];
      // First answer "public" (allow-listed), every later one internal: a pre-check followed by a second
      // resolution at connect time would be fooled into connecting to 127.0.0.1.
      const resolve: ResolveHost = async (hostname) => {
        lookups.push(hostname);
        return [{ address: lookups.length === 1 ? "127.0.0.2" : "127.0.0.1", family: 4 }];
      };
      const delivery = createHttpDelivery({ resolve, ssrf: { allow: ["127.0.0.2/32"] } });
      try {
        const url = `http://rebind.customer.example:${publicServer.port}/hook`;
        const first = await delivery.send(testEndpoint(url), envelope, 1);
        assert.equal(first.kind, "delivered");
        assert.equal(lookups.length, 1, "one resolution per connect, no separate pre-check");
        assert.equal(publicServer.requests.at(-1)?.headers.host, `rebind.customer.example:${publicServer.port}`);

        const second = await delivery.send(testEndpoint(url), envelope, 1);
        assert.equal(lookups.length, 2);
        assert.equal(second.kind, "rejected");
        assert.equal(second.attempt.errorClass, "ssrf_blocked");
        assert.equal(internalTwin.requests.length, 0);
      } finally {
        await delivery.close();
      }
    });
  });
});
