import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnvelope } from "@hookyard/core";
import { Webhook } from "standardwebhooks";
import type { ResolveHost } from "./guarded-connect.js";
import { createHttpDelivery } from "./http-delivery.js";
import {
  type ConnectProxy,
  startConnectProxy,
  startServer,
  TEST_SECRET,
  type TestServer,
  testEndpoint,
} from "./test-support.js";

const envelope = createEnvelope({ id: "evt_proxy", source: "test", type: "t", data: '{"via":"proxy"}' });

describe("egress proxy (HTTP CONNECT)", () => {
  let proxy: ConnectProxy;
  let target: TestServer;

  before(async () => {
    proxy = await startConnectProxy();
    target = await startServer((_req, res) => res.end("ok"));
  });
  after(async () => {
    await proxy.close();
    await target.close();
  });

  it("sends through the global proxy; the request arrives signed", async () => {
    const delivery = createHttpDelivery({ proxy: proxy.url, ssrf: { allow: ["127.0.0.0/8"] } });
    try {
      const outcome = await delivery.send(testEndpoint(`${target.origin}/hook`), envelope, 1);
      assert.equal(outcome.kind, "delivered", outcome.attempt.errorMessage);
      assert.deepEqual(proxy.tunnels.slice(-1), [`127.0.0.1:${target.port}`]);
      const received = await target.nextRequest();
      const verified = new Webhook(TEST_SECRET).verify(received.body, received.headers as Record<string, string>);
      assert.deepEqual((verified as { data: unknown }).data, { via: "proxy" });
    } finally {
      await delivery.close();
    }
  });

  it("an endpoint's own proxy: the tunnel is opened to the IP the guard checked, Host stays the name", async () => {
    const resolve: ResolveHost = async () => [{ address: "127.0.0.1", family: 4 }];
    const delivery = createHttpDelivery({ resolve, ssrf: { allow: ["127.0.0.0/8"] } });
    try {
      const url = `http://api.customer.example:${target.port}/in`;
      const outcome = await delivery.send(testEndpoint(url, { proxy: proxy.url }), envelope, 1);
      assert.equal(outcome.kind, "delivered", outcome.attempt.errorMessage);
      assert.equal(proxy.tunnels.at(-1), `127.0.0.1:${target.port}`);
      assert.equal(target.requests.at(-1)?.headers.host, `api.customer.example:${target.port}`);
    } finally {
      await delivery.close();
    }
  });

  it("the guard still applies to the target: a private target is rejected and no tunnel is asked for", async () => {
    const resolve: ResolveHost = async () => [{ address: "10.1.2.3", family: 4 }];
    const delivery = createHttpDelivery({ resolve, proxy: proxy.url });
    try {
      const tunnelsBefore = proxy.tunnels.length;
      for (const url of ["http://internal.customer.example/", `http://127.0.0.1:${target.port}/`]) {
        const outcome = await delivery.send(testEndpoint(url), envelope, 1);
        assert.equal(outcome.kind, "rejected", url);
        assert.equal(outcome.attempt.errorClass, "ssrf_blocked", url);
      }
      assert.equal(proxy.tunnels.length, tunnelsBefore);
    } finally {
      await delivery.close();
    }
  });

  it("a proxy that refuses the tunnel: retry with errorClass connect", async () => {
    const delivery = createHttpDelivery({ proxy: proxy.url, ssrf: { allow: ["127.0.0.0/8"] } });
    const refusedTarget = await startServer((_req, res) => res.end("ok"));
    proxy.refuse.add(`127.0.0.1:${refusedTarget.port}`);
    try {
      const outcome = await delivery.send(testEndpoint(`${refusedTarget.origin}/`), envelope, 1);
      assert.equal(outcome.kind, "retry");
      assert.equal(outcome.attempt.errorClass, "connect");
      assert.equal(refusedTarget.requests.length, 0);
    } finally {
      await delivery.close();
      await refusedTarget.close();
    }
  });
});
