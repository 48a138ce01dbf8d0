import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { startTestGateway } from "./gateway-fixture.js";

/**
 * server.trustProxy through the whole gateway: real sockets from 127.0.0.1 (the balancer, trusted) and 127.0.0.2
 * (anyone else) carrying the same X-Forwarded-For, against a route that only serves its provider's range.
 */
const brokers = requireBrokers("redis");
const SECRET = "github-e2e-secret-value";

describe("ingress behind a trusted load balancer (server.trustProxy)", () => {
  it("judges the forwarded address via the trusted hop, and ignores the same header from anyone else", async () => {
    const gateway = await startTestGateway({
      server: { host: "127.0.0.1", port: 0, trustProxy: ["127.0.0.1/32"] },
      redis: { url: brokers.redisUrl, prefix: uniqueName("hy-proxy") },
      endpoints: [
        { id: "internal", url: "http://127.0.0.1:9/never", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] },
      ],
      ingress: {
        routes: [
          {
            id: "gh",
            path: "/ingress/gh",
            verifier: { type: "github", secrets: [SECRET] },
            limits: { allowCidrs: ["203.0.113.0/24"] },
            defaultTargets: ["internal"],
          },
        ],
      },
    });
    const { port } = new URL(gateway.url);
    const send = (from: string, forwardedFor: string) => {
      const id = uniqueName("d");
      const body = JSON.stringify({ id });
      return new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          {
            host: "127.0.0.1",
            port,
            path: "/ingress/gh",
            method: "POST",
            localAddress: from,
            headers: {
              "content-type": "application/json",
              "x-github-event": "push",
              "x-github-delivery": id,
              "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
              "x-forwarded-for": forwardedFor,
            },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on("error", reject);
        request.end(body);
      });
    };
    try {
      assert.equal(await send("127.0.0.1", "203.0.113.9"), 200, "the provider, via the balancer");
      assert.equal(await send("127.0.0.1", "198.51.100.7"), 403, "someone else, via the balancer");
      assert.equal(await send("127.0.0.2", "203.0.113.9"), 403, "a forged header from an untrusted address");
      assert.equal(await send("127.0.0.1", "203.0.113.9, 198.51.100.7"), 403, "a forged entry left of the real one");
    } finally {
      await gateway.stop();
    }
  });
});
