import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeliveryOutcome } from "@hookyard/core";
import { createEndpointLimits } from "./endpoint-limits.js";
import { outcomes } from "./fake-sender.js";

const timeout = (at: number): DeliveryOutcome => outcomes.timeout(at);

describe("endpoint limits (fair share, AIMD, stuck sends)", () => {
  it("gives every endpoint the same room when nothing is in flight", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 1000, slowShare: 0.5 });
    assert.deepEqual(limits.rooms(0), { rooms: new Map(), endpointRoom: 100, reserve: 50 });
  });

  it("caps each endpoint at its max-min share of the budget", () => {
    const limits = createEndpointLimits({ maxInFlight: 10, slowSendMs: 1000, slowShare: 0.5 });
    for (let i = 0; i < 4; i++) limits.started("a", `a${i}`, 0);
    for (let i = 0; i < 2; i++) limits.started("b", `b${i}`, 0);
    limits.started("c", "c0", 0);
    // 3 endpoints sending: share floor(10 / 4) = 2; a holds 4 (no room), b holds 2 (no room), c 1 (room 1),
    // newcomers 2.
    const { rooms, endpointRoom } = limits.rooms(0);
    assert.deepEqual([rooms.get("a"), rooms.get("b"), rooms.get("c"), endpointRoom], [0, 0, 1, 2]);
    // Under half a share held, a healthy endpoint is left to endpointRoom (keeps the claim's arguments short).
    const roomy = createEndpointLimits({ maxInFlight: 100, slowSendMs: 1000, slowShare: 0.5 });
    roomy.started("d", "d0", 0);
    assert.deepEqual(roomy.rooms(0), { rooms: new Map(), endpointRoom: 50, reserve: 33 });
  });

  it("gives an endpoint with a send stuck past slowSendMs no more room until it settles", () => {
    const limits = createEndpointLimits({ maxInFlight: 10, slowSendMs: 1000, slowShare: 0.5 });
    limits.started("a", "a0", 0);
    assert.equal(limits.rooms(1000).rooms.has("a"), false, "under half its share: left to endpointRoom");
    assert.equal(limits.rooms(1001).rooms.get("a"), 0);
    assert.equal(limits.isSlow("a", 1001), true);
    limits.settled("a", "a0", timeout(0), 15_000, 10);
    assert.equal(limits.limitOf("a"), 5, "a timeout halves the limit");
    assert.equal(limits.rooms(15_000).rooms.get("a"), 5);
  });

  it("halves once per window and adds one per prompt answer back to the policy's concurrency", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 1000, slowShare: 0.5 });
    for (let i = 0; i < 8; i++) limits.started("a", `s${i}`, 0);
    for (let i = 0; i < 8; i++) limits.settled("a", `s${i}`, outcomes.ok(0), 3000, 8);
    assert.equal(limits.limitOf("a"), 4, "eight slow answers of one window halve it once");
    limits.started("a", "t", 3000);
    limits.settled("a", "t", outcomes.throttled(3000, 1000), 3010, 8);
    assert.equal(limits.limitOf("a"), 2, "a 429 is an overload signal");
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      limits.started("a", `f${i}`, 4000);
      limits.settled("a", `f${i}`, outcomes.ok(4000), 4005, 8);
      seen.push(limits.limitOf("a"));
    }
    assert.deepEqual(seen, [3, 4, 5, 6, 7, undefined]);
    assert.equal(limits.isSlow("a", 4005), false);
  });

  it("keeps slow endpoints together under slowShare of the budget", () => {
    const limits = createEndpointLimits({ maxInFlight: 8, slowSendMs: 1000, slowShare: 0.5 });
    for (const id of ["a", "b", "c", "d"]) {
      limits.started(id, `${id}0`, 0);
      limits.settled(id, `${id}0`, timeout(0), 2000, 10); // known slow, limit 5
      limits.started(id, `${id}1`, 2000);
    }
    // Four slow endpoints hold 4 = half of 8: none gets more, a healthy newcomer still does.
    const { rooms, endpointRoom } = limits.rooms(2000);
    assert.deepEqual(
      ["a", "b", "c", "d"].map((id) => rooms.get(id)),
      [0, 0, 0, 0],
    );
    assert.equal(endpointRoom, 1);
  });

  it("halves on latency growth over the endpoint's own baseline long before slowSendMs, and recovers", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 2000, slowShare: 0.5 });
    const round = (at: number, n: number, durationMs: number) => {
      for (let i = 0; i < n; i++) limits.started("a", `${at}-${i}`, at);
      for (let i = 0; i < n; i++) limits.settled("a", `${at}-${i}`, outcomes.ok(at), at + durationMs, 8);
    };
    round(0, 4, 10);
    round(500, 4, 10); // baseline 10 ms, from eight answers
    assert.equal(limits.limitOf("a"), undefined);
    round(1000, 4, 60); // 6x the baseline but only 50 ms more: growth needs both
    assert.equal(limits.limitOf("a"), undefined);
    round(2000, 4, 200); // 20x, 0.2 s: far below slowSendMs
    assert.equal(limits.limitOf("a"), 4, "four slow answers of one window halve it once");
    assert.equal(limits.isSlow("a", 2200), false, "latency growth lowers the limit; it does not mark it slow");
    round(3000, 4, 10); // fast again: one more per prompt answer
    assert.equal(limits.limitOf("a"), undefined, "back to the policy's concurrency");
  });

  it("takes a mean of varied answers as the baseline, not the fastest one", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 2000, slowShare: 0.5 });
    // A busy worker: answers of 5 and 80 ms alternate, two sends in flight at a time. Against the fastest answer
    // (5 ms) every 80 ms one would be latency growth; against their mean (~42 ms) none is.
    for (let i = 0; i < 32; i++) {
      limits.started("a", `a${i}`, i * 1000);
      limits.started("a", `b${i}`, i * 1000);
      limits.settled("a", `a${i}`, outcomes.ok(i * 1000), i * 1000 + 5, 8);
      limits.settled("a", `b${i}`, outcomes.ok(i * 1000), i * 1000 + 80, 8);
    }
    assert.equal(limits.limitOf("a"), undefined);
  });

  it("does not lower the limit when one send at a time is slower: that is not queueing at the endpoint", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 2000, slowShare: 0.5 });
    for (let i = -8; i < 0; i++) {
      limits.started("a", `a${i}`, i * 1000);
      limits.settled("a", `a${i}`, outcomes.ok(i * 1000), i * 1000 + 10, 8);
    }
    for (let i = 1; i <= 3; i++) {
      limits.started("a", `a${i}`, i * 1000);
      limits.settled("a", `a${i}`, outcomes.ok(i * 1000), i * 1000 + 500, 8);
    }
    assert.equal(limits.limitOf("a"), undefined);
  });

  it("leaves a throttled endpoint out of claims while the store holds it, then lists its lowered limit", () => {
    const limits = createEndpointLimits({ maxInFlight: 100, slowSendMs: 2000, slowShare: 0.5 });
    limits.started("a", "a0", 0);
    limits.settled("a", "a0", outcomes.throttled(0, 60_000), 5, 10, 60_005);
    assert.equal(limits.limitOf("a"), 5, "a 429 halves the limit");
    assert.equal(limits.rooms(60_004).rooms.has("a"), false, "held by the store: nothing to say in a claim");
    assert.equal(limits.rooms(60_005).rooms.get("a"), 5);
  });
});
