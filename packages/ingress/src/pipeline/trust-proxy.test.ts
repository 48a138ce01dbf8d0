import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { compileRoutes } from "../config/compile-routes.js";
import { createConvictValidation } from "../config/convict-validation.js";
import type { IngressRoute } from "../config/route.js";
import { createClientOriginResolver } from "./client-address.js";
import { createMemoryDedup } from "./memory-dedup.js";
import { createMemoryLimiter } from "./memory-limiter.js";
import { registerIngressRoutes } from "./register-ingress-routes.js";
import { createRejectedLog } from "./rejected-log.js";

const SECRET = "github-secret-0123456789";
const PROVIDER_RANGE = "203.0.113.0/24";

/**
 * Real sockets from two loopback addresses: 127.0.0.1 is the trusted balancer, 127.0.0.2 an untrusted client that
 * sends the very same X-Forwarded-For.
 */
describe("ingress behind a trusted proxy", () => {
  let app: FastifyInstance;
  let port = 0;
  const rejected = createRejectedLog(100);
  before(async () => {
    const validation = createConvictValidation();
    const { routes } = compileRoutes(
      [
        {
          id: "gh",
          path: "/ingress/gh",
          verifier: { type: "github", secrets: [SECRET] },
          limits: { allowCidrs: [PROVIDER_RANGE] },
          dedup: { enabled: false },
          defaultTargets: ["t"],
        },
      ],
      validation,
    );
    assert.deepEqual(validation.problems, []);
    app = Fastify();
    await registerIngressRoutes(app, {
      routes: routes as IngressRoute[],
      accept: async () => undefined,
      dedup: createMemoryDedup(),
      limiter: createMemoryLimiter(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      rejected,
      clientOrigin: createClientOriginResolver({ trustedCidrs: ["127.0.0.1/32"] }),
    });
    await app.listen({ host: "0.0.0.0", port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  const send = (from: string, forwardedFor: string) => {
    const body = JSON.stringify({ n: forwardedFor });
    const headers = {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": `d-${from}-${forwardedFor}`,
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
      "x-forwarded-for": forwardedFor,
    };
    return new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, path: "/ingress/gh", method: "POST", headers, localAddress: from },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  };

  test("via the trusted hop, the forwarded address is judged: in the provider's range 200, outside 403", async () => {
    assert.equal(await send("127.0.0.1", "203.0.113.9"), 200);
    assert.equal(await send("127.0.0.1", "198.51.100.7"), 403);
    assert.equal(rejected.list({ routeId: "gh", limit: 1 })[0]?.remoteAddress, "198.51.100.7");
  });

  test("the same header from an untrusted address is ignored: judged by its own address, 403", async () => {
    assert.equal(await send("127.0.0.2", "203.0.113.9"), 403);
    assert.equal(rejected.list({ routeId: "gh", limit: 1 })[0]?.remoteAddress, "127.0.0.2");
  });

  test("a spoofed entry left of the balancer's cannot pass the list", async () => {
    assert.equal(await send("127.0.0.1", "203.0.113.9, 198.51.100.7"), 403);
  });
});
