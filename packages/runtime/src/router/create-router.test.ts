import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, type Envelope, HookyardError } from "@hookyard/core";
import type { Subscription } from "../config/types.js";
import { createRouter } from "./create-router.js";

const endpoints = ["a", "b", "c", "d", "e"].map((id) => ({ id }));

const subscriptions: Subscription[] = [
  { id: "exact", endpoints: ["a"], types: ["invoice.paid"], enabled: true },
  { id: "one-segment", endpoints: ["b"], types: ["order.*"], enabled: true },
  { id: "any-depth", endpoints: ["c"], types: ["payment.**"], enabled: true },
  {
    id: "big-eur-orders",
    endpoints: ["d"],
    types: ["order.created", "order.paid"],
    filter: { "data.amount": { $gte: 100 }, "data.currency": "EUR" },
    enabled: true,
  },
  { id: "tenant-header", endpoints: ["e", "a"], types: ["*"], filter: { "headers.x-tenant": "acme" }, enabled: true },
  { id: "disabled", endpoints: ["e"], types: ["**"], enabled: false },
  { id: "no-test-events", endpoints: ["c"], types: ["user.*"], filter: { "data.test": { $neq: true } }, enabled: true },
  { id: "by-source", endpoints: ["b"], types: ["user.*"], filter: { source: { $regex: "^kafka:" } }, enabled: true },
];

function event(type: string, data: unknown, headers: Record<string, string> = {}, source = "http:ingest"): Envelope {
  return createEnvelope({
    id: `evt-${type}`,
    source,
    type,
    data: typeof data === "string" ? data : JSON.stringify(data),
    headers,
  });
}

// [description, event, expected endpoint ids]
const cases: [string, Envelope, string[]][] = [
  ["exact type", event("invoice.paid", {}), ["a"]],
  ["no subscription", event("invoice.created", {}), []],
  ["* glob, one segment", event("order.shipped", {}), ["b"]],
  ["* glob does not span segments", event("order.line.added", {}), []],
  ["** glob, any depth", event("payment.card.declined", {}), ["c"]],
  ["** glob needs one segment", event("payment", {}), []],
  ["exact type with a matching filter", event("order.created", { amount: 150, currency: "EUR" }), ["b", "d"]],
  ["filter: amount too small", event("order.created", { amount: 50, currency: "EUR" }), ["b"]],
  ["filter: type mismatch (amount as a string)", event("order.paid", { amount: "150", currency: "EUR" }), ["b"]],
  ["filter: missing path", event("order.paid", { currency: "EUR" }), ["b"]],
  ["filter: body is not JSON", event("order.paid", "<xml/>"), ["b"]],
  ["header filter with a catch-all type, deduplicated", event("invoice.paid", {}, { "X-Tenant": "acme" }), ["a", "e"]],
  ["header filter, other tenant", event("invoice.paid", {}, { "x-tenant": "globex" }), ["a"]],
  ["$neq matches a missing path", event("user.created", {}), ["c"]],
  ["$neq excludes", event("user.created", { test: true }), []],
  ["$neq on a non-JSON body", event("user.created", "not json"), ["c"]],
  ["filter on the source", event("user.created", { test: true }, {}, "kafka:users"), ["b"]],
];

describe("createRouter", () => {
  const router = createRouter(subscriptions, endpoints);
  for (const [name, envelope, expected] of cases) {
    it(name, () => {
      assert.deepEqual(router.route(envelope), expected);
      assert.deepEqual(router.route(envelope), expected, "same answer from the cache");
    });
  }

  it("parses the body at most once, and only when a candidate has a filter", () => {
    const original = JSON.parse;
    let parses = 0;
    JSON.parse = ((text: string) => {
      parses++;
      return original(text);
    }) as typeof JSON.parse;
    try {
      router.route(event("invoice.paid", {}, { "x-tenant": "other" }));
      assert.equal(parses, 0, "the header filter does not need the body");
      const twoFilters = createRouter(
        [
          { id: "1", endpoints: ["a"], types: ["t"], filter: { "data.x": 1 }, enabled: true },
          { id: "2", endpoints: ["b"], types: ["t"], filter: { "data.y": 2 }, enabled: true },
        ],
        endpoints,
      );
      assert.deepEqual(twoFilters.route(event("t", { x: 1, y: 2 })), ["a", "b"]);
      assert.equal(parses, 1);
      createRouter([{ id: "1", endpoints: ["a"], types: ["t"], enabled: true }], endpoints).route(event("t", {}));
      assert.equal(parses, 1, "no filter, no parse");
    } finally {
      JSON.parse = original;
    }
  });

  it("refuses a subscription naming an unknown endpoint", () => {
    assert.throws(
      () => createRouter([{ id: "s", endpoints: ["zzz"], types: ["*"], enabled: true }], endpoints),
      (error: unknown) =>
        error instanceof HookyardError && error.code === "CONFIG_INVALID" && /zzz/.test(error.message),
    );
  });

  it("refuses a bad filter or glob", () => {
    assert.throws(
      () => createRouter([{ id: "s", endpoints: ["a"], types: ["a*"], enabled: true }], endpoints),
      /subscription "s" types/,
    );
    assert.throws(
      () =>
        createRouter(
          [{ id: "s", endpoints: ["a"], types: ["a"], filter: { x: { $nope: 1 } }, enabled: true }],
          endpoints,
        ),
      /subscription "s" filter\.x\.\$nope/,
    );
  });

  it("routes over 1,000 subscriptions of mixed kinds", () => {
    const many: Subscription[] = [];
    const ids = Array.from({ length: 1000 }, (_, i) => ({ id: `ep-${i}` }));
    for (let i = 0; i < 1000; i++) {
      const kind = i % 4;
      many.push({
        id: `s-${i}`,
        endpoints: [`ep-${i}`],
        types:
          kind === 0
            ? [`type.${i}`]
            : kind === 1
              ? [`family${i % 50}.*`]
              : kind === 2
                ? [`type.${i}`, "shared.event"]
                : [`deep${i % 20}.**`],
        ...(kind === 2 ? { filter: { "data.tier": { $in: ["gold", "silver"] }, "data.n": { $gt: i % 7 } } } : {}),
        enabled: true,
      });
    }
    const router1000 = createRouter(many, ids);
    const events = Array.from({ length: 200 }, (_, i) =>
      event(i % 3 === 0 ? "shared.event" : i % 3 === 1 ? `family${i % 50}.x` : `type.${i * 5}`, { tier: "gold", n: i }),
    );
    let routed = 0;
    for (const envelope of events) routed += router1000.route(envelope).length;
    assert.ok(routed > 0);
    assert.deepEqual(router1000.route(event("shared.event", { tier: "gold", n: 100 })).length, 250);
    // Its speed is measured by bench/routing (CPU µs per event), not asserted here.
  });
});
