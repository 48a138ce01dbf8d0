import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileRoutes, pathText, type RouteProblem } from "./compile-routes.js";
import { createConvictValidation } from "./convict-validation.js";

const stripeRoute = {
  id: "stripe-acme",
  path: "/ingress/stripe/acme",
  verifier: { type: "stripe", secrets: ["whsec_abcdefghijklmnop"], tolerance: "2m" },
  limits: { maxBodyBytes: "256kb", ratePerSecond: 50, concurrency: 10, allowCidrs: ["10.0.0.0/8"] },
  dedup: { ttl: "3d" },
  rules: [
    { types: ["invoice.*"], targets: ["billing-kafka"] },
    { match: { "body.data.object.amount": { $gte: 10000 } }, targets: ["big-money", "billing-kafka"] },
  ],
  defaultTargets: ["audit"],
  forwardHeaders: ["X-Request-Id"],
};

function compile(routes: unknown, targets?: string[]) {
  const validation = createConvictValidation();
  const result = compileRoutes(routes, validation, targets === undefined ? {} : { targets });
  return { ...result, problems: validation.problems as readonly RouteProblem[] };
}

const where = (problem: RouteProblem) => problem.path ?? pathText(problem.at);

describe("compileRoutes", () => {
  test("compiles a valid route: durations, sizes, defaults, rules and kept headers", () => {
    const { routes, problems, sensitivePaths } = compile([stripeRoute], ["billing-kafka", "big-money", "audit"]);
    assert.deepEqual(problems, []);
    const [route] = routes;
    assert.ok(route);
    assert.equal(route.verifierType, "stripe");
    assert.deepEqual(route.limits, {
      maxBodyBytes: 262_144,
      allowCidrs: ["10.0.0.0/8"],
      denyCidrs: [],
      ratePerSecond: 50,
      burst: 50,
      concurrency: 10,
    });
    assert.deepEqual(route.dedup, { enabled: true, ttlMs: 3 * 86_400_000 });
    assert.equal(route.rules.length, 2);
    assert.deepEqual(route.defaultTargets, ["audit"]);
    assert.ok(route.keepHeaders.includes("x-request-id"));
    assert.ok(route.sensitiveHeaders.has("stripe-signature"));
    assert.deepEqual(sensitivePaths, [["ingress", "routes", 0, "verifier", "secrets"]]);
  });

  test("reports every problem with its key path, never a secret's value", () => {
    const routes = [
      { ...stripeRoute, verifier: { type: "strype", secrets: ["whsec_topsecretvalue1"] } },
      {
        ...stripeRoute,
        id: "sw",
        path: "/ingress/sw",
        verifier: { type: "standard-webhooks", secrets: ["topsecretvalue2"] },
      },
      { ...stripeRoute, id: "sw", rules: [{ match: { "body.x": { $gtx: 1 } }, targets: ["nowhere"] }] },
      { id: "empty", path: "/ingress/empty", verifier: { type: "github", secrets: ["topsecretvalue3"] } },
      {
        id: "burst",
        path: "/ingress/burst",
        verifier: { type: "hmac", secrets: ["topsecretvalue4"], header: "x-sig", signed: "{timestamp}{body}" },
        defaultTargets: ["audit"],
        surprise: true,
      },
      {
        id: "conflicts",
        path: "/ingress/conflicts",
        verifier: { type: "github", secrets: ["topsecretvalue5"] },
        limits: { burst: 5 },
        eventType: { header: "x-type", value: "fixed" },
        defaultTargets: ["audit"],
      },
    ];
    const { problems } = compile(routes, ["billing-kafka", "big-money", "audit"]);
    const paths = problems.map(where);
    assert.ok(paths.includes("ingress.routes[0].verifier.type"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[1].verifier"), paths.join("\n"));
    assert.ok(paths.includes('ingress.routes[2].rules[0].match["body.x"].$gtx'), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[2].rules[0].targets[0]"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[2].id"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[2].path"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[3].rules"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[4]"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[4].verifier"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[5].eventType"), paths.join("\n"));
    assert.ok(paths.includes("ingress.routes[5].limits.ratePerSecond"), paths.join("\n"));
    const text = JSON.stringify(problems);
    assert.doesNotMatch(text, /topsecretvalue|whsec_topsecret/);
  });

  test("a verifier's constructor problems are reported too (hmac {timestamp} without its header)", () => {
    const route = {
      id: "h",
      path: "/ingress/h",
      verifier: { type: "hmac", secrets: ["abc"], header: "x-sig", signed: "{timestamp}.{body}" },
      defaultTargets: ["audit"],
    };
    const { problems, routes } = compile([route]);
    assert.equal(routes.length, 0);
    assert.match(problems.map((p) => p.found).join("\n"), /timestampHeader/);
  });

  test("no routes, or not a list", () => {
    assert.deepEqual(compile(undefined).routes, []);
    assert.equal(compile({ id: "x" }).problems.length, 1);
  });
});
