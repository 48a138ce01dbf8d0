import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { compileRoutes } from "../config/compile-routes.js";
import { createConvictValidation } from "../config/convict-validation.js";
import type { IngressRoute } from "../config/route.js";
import { createMemoryDedup } from "./memory-dedup.js";
import { createMemoryLimiter } from "./memory-limiter.js";
import { type IngressRoutes, registerIngressRoutes } from "./register-ingress-routes.js";

const SECRET = "github-secret-0123456789";

function compiled(items: object[]): IngressRoute[] {
  const validation = createConvictValidation();
  const { routes } = compileRoutes(items, validation);
  assert.deepEqual(validation.problems, []);
  return routes as IngressRoute[];
}

const route = (id: string, targets: string[], extra: object = {}) => ({
  id,
  path: `/ingress/${id}`,
  verifier: { type: "github", secrets: [SECRET] },
  defaultTargets: targets,
  ...extra,
});

describe("ingress routes replaced while the server runs (config reload)", () => {
  let app: FastifyInstance;
  let served: IngressRoutes;
  let base = "";
  const accepted: { route: string; targets: readonly string[] }[] = [];
  let release: (() => void) | undefined;

  before(async () => {
    app = Fastify();
    app.setNotFoundHandler((request, reply) => reply.code(404).send({ notFound: request.url }));
    app.post("/v1/events", async () => ({ ingest: true }));
    served = await registerIngressRoutes(app, {
      routes: compiled([route("a", ["queue-1"]), route("b", ["queue-1"])]),
      accept: async (envelope, targets) => {
        if (envelope.type === "slow") await new Promise<void>((resolve) => (release = resolve));
        accepted.push({ route: envelope.source, targets });
      },
      dedup: createMemoryDedup(),
      limiter: createMemoryLimiter(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  const post = (path: string, { size = 10, event = "push" } = {}) => {
    const body = JSON.stringify({ pad: "x".repeat(size) });
    return fetch(`${base}${path}`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": `d-${Math.random()}`,
        "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
      },
    });
  };

  test("added, removed and changed routes apply to the next request; other paths keep their own answers", async () => {
    assert.equal((await post("/ingress/a")).status, 200);
    assert.equal((await post("/ingress/c")).status, 404);
    served.replace(
      compiled([
        route("a", ["queue-2"], { limits: { maxBodyBytes: "1kb" } }),
        route("c", ["queue-1"]),
        route("b", ["queue-1"], { enabled: false }),
      ]),
    );
    accepted.length = 0;
    assert.equal((await post("/ingress/a")).status, 200);
    assert.deepEqual(accepted, [{ route: "ingress:a", targets: ["queue-2"] }], "the changed rule applies");
    assert.equal((await post("/ingress/a", { size: 2000 })).status, 413, "the new body limit applies");
    assert.equal((await post("/ingress/c")).status, 200, "a new path is served");
    const removed = await post("/ingress/b");
    assert.equal(removed.status, 404, "a disabled route answers like an unknown path");
    assert.deepEqual(await removed.json(), { notFound: "/ingress/b" });
    assert.deepEqual(await (await post("/v1/events")).json(), { ingest: true }, "other routes win over ingress");
  });

  test("a request in flight when its route is removed finishes with the route it started with", async () => {
    served.replace(compiled([route("d", ["queue-1"])]));
    accepted.length = 0;
    const inFlight = post("/ingress/d", { event: "slow" });
    while (release === undefined) await new Promise((resolve) => setImmediate(resolve));
    served.replace(compiled([]));
    release();
    assert.equal((await inFlight).status, 200);
    assert.deepEqual(accepted, [{ route: "ingress:d", targets: ["queue-1"] }]);
    assert.equal((await post("/ingress/d")).status, 404);
  });
});
