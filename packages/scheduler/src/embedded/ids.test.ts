import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIdFactory, idTimePrefix } from "./ids.js";

describe("createIdFactory", () => {
  it("makes ids that sort by creation time, also within one millisecond", () => {
    const nextId = createIdFactory();
    const ids = [1000, 1000, 1000, 1001, 1001, 5000, 5000].map((now) => nextId(now));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[0-9a-z]{13}[0-9a-f]{6}$/);
  });

  it("never repeats an id when the clock steps back and forth (sequence does not restart)", () => {
    const nextId = createIdFactory();
    const times = Array.from({ length: 3000 }, (_, i) => 1_764_000_000_000 + (i % 3));
    const ids = times.map((now) => nextId(now));
    // Without the random part, which alone would make a collision merely unlikely.
    assert.equal(new Set(ids.map((id) => id.slice(0, -6))).size, ids.length);
    assert.ok(nextId(1_764_000_000_000) < idTimePrefix(1_764_000_000_001), "an older time still sorts before");
  });

  it("keeps making unique ids past the random pool's refills", () => {
    const nextId = createIdFactory();
    const ids = Array.from({ length: 5000 }, () => nextId(1_764_000_000_000));
    assert.equal(new Set(ids).size, 5000);
    // Random parts are not all the same after a refill (4095 bytes = 1365 ids per refill).
    assert.ok(new Set(ids.map((id) => id.slice(-6))).size > 4000);
  });

  it("gives two processes different ids for the same millisecond and sequence", () => {
    const a = createIdFactory()(1_764_000_000_000);
    const b = createIdFactory()(1_764_000_000_000);
    assert.equal(a.slice(0, 13), b.slice(0, 13));
    assert.notEqual(a, b);
  });

  it("starts every id made at or after a time with a prefix that sorts at or after idTimePrefix(time)", () => {
    const nextId = createIdFactory();
    assert.ok(nextId(1_764_000_000_123) >= idTimePrefix(1_764_000_000_123));
    assert.ok(nextId(1_764_000_000_122) < idTimePrefix(1_764_000_000_123));
  });
});
