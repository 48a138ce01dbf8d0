import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAddressCheck } from "./cidr-check.js";
import { createMemoryDedup } from "./memory-dedup.js";
import { createMemoryLimiter } from "./memory-limiter.js";
import { createRejectedLog } from "./rejected-log.js";

describe("in-memory collaborators", () => {
  test("dedup: first, in-flight, accepted; release forgets a pending claim; keys expire", async () => {
    let now = 0;
    const dedup = createMemoryDedup({ now: () => now });
    assert.equal(await dedup.claim("a", 1000), "first");
    assert.equal(await dedup.claim("a", 1000), "in-flight");
    await dedup.release("a");
    assert.equal(await dedup.claim("a", 1000), "first");
    await dedup.complete("a", 5000);
    assert.equal(await dedup.claim("a", 1000), "accepted");
    await dedup.release("a");
    assert.equal(await dedup.claim("a", 1000), "accepted", "release never forgets an accepted key");
    now = 5001;
    assert.equal(await dedup.claim("a", 1000), "first");
    now += 1001;
    assert.equal(await dedup.claim("a", 1000), "first", "an abandoned claim expires after its lease");
  });

  test("dedup: the oldest keys are dropped beyond maxKeys", async () => {
    const dedup = createMemoryDedup({ maxKeys: 2 });
    for (const key of ["a", "b", "c"]) await dedup.complete(key, 60_000);
    assert.equal(await dedup.claim("a", 1000), "first");
    assert.equal(await dedup.claim("c", 1000), "accepted");
  });

  test("limiter: burst, then refill at the rate, with a Retry-After hint", async () => {
    let now = 0;
    const limiter = createMemoryLimiter({ now: () => now });
    assert.equal((await limiter.take("r", 2, 2)).ok, true);
    assert.equal((await limiter.take("r", 2, 2)).ok, true);
    const refused = await limiter.take("r", 2, 2);
    assert.deepEqual(refused, { ok: false, retryAfterMs: 500 });
    now = 500;
    assert.equal((await limiter.take("r", 2, 2)).ok, true);
    assert.equal((await limiter.take("other", 2, 2)).ok, true);
  });

  test("rejected log: a ring of the newest entries, filterable by route", () => {
    const log = createRejectedLog(3);
    for (let i = 0; i < 5; i++) {
      log.record({
        routeId: i % 2 === 0 ? "even" : "odd",
        outcome: "unverified",
        reason: `r${i}`,
        headers: {},
        size: i,
        remoteAddress: "127.0.0.1",
        at: new Date(0).toISOString(),
      });
    }
    assert.deepEqual(
      log.list().map((entry) => entry.reason),
      ["r4", "r3", "r2"],
    );
    assert.deepEqual(
      log.list({ routeId: "even" }).map((entry) => entry.reason),
      ["r4", "r2"],
    );
    assert.deepEqual(
      log.list({ limit: 1 }).map((entry) => entry.reason),
      ["r4"],
    );
  });

  test("address check: deny wins, allow restricts, IPv4-mapped IPv6 is checked as IPv4", () => {
    const check = createAddressCheck(["10.0.0.0/8", "2001:db8::/32"], ["10.9.0.0/16"]);
    assert.equal(check("10.1.2.3"), true);
    assert.equal(check("::ffff:10.1.2.3"), true);
    assert.equal(check("10.9.1.1"), false);
    assert.equal(check("192.168.1.1"), false);
    assert.equal(check("2001:db8::1"), true);
    assert.equal(check("not an address"), false);
    assert.equal(createAddressCheck([], [])("anything"), true);
  });
});
