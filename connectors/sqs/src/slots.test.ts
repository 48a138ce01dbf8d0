import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSlots } from "./slots.js";

describe("slots", () => {
  it("grants a whole batch at once, not each slot as it frees", async () => {
    const slots = createSlots(20);
    assert.equal(await slots.acquire(10), 10);
    assert.equal(await slots.acquire(10), 10);
    let granted: number | undefined;
    void slots.acquire(10).then((count) => {
      granted = count;
    });
    for (let i = 0; i < 9; i++) slots.release(1);
    await Promise.resolve();
    assert.equal(granted, undefined, "9 free slots are not a batch of 10");
    slots.release(1);
    await Promise.resolve();
    assert.equal(granted, 10);
    assert.equal(slots.used, 20);
  });

  it("grants the whole capacity when it is smaller than the batch, and 0 to waiters once closed", async () => {
    const slots = createSlots(4);
    assert.equal(await slots.acquire(10), 4);
    const waiting = slots.acquire(10);
    slots.close();
    assert.equal(await waiting, 0);
    assert.equal(await slots.acquire(1), 0);
  });

  it("serves waiters in order", async () => {
    const slots = createSlots(10);
    await slots.acquire(10);
    const order: string[] = [];
    const first = slots.acquire(5).then(() => order.push("first"));
    const second = slots.acquire(5).then(() => order.push("second"));
    slots.release(10);
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first", "second"]);
    assert.equal(slots.used, 10);
  });
});
