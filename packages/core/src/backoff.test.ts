import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay, sleep, withTimeout } from "./backoff.js";

describe("backoff", () => {
  it("doubles from the initial delay, with 50-100% jitter, up to the cap", () => {
    for (let i = 0; i < 100; i++) {
      const first = backoffDelay(1, 100, 10_000);
      assert.ok(first >= 50 && first <= 100, String(first));
      const third = backoffDelay(3, 100, 10_000);
      assert.ok(third >= 200 && third <= 400, String(third));
      const capped = backoffDelay(40, 100, 1000);
      assert.ok(capped >= 500 && capped <= 1000, String(capped));
    }
  });

  it("sleep resolves false at once when aborted; withTimeout rejects with the given error", async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    assert.equal(await sleeping, false);
    await assert.rejects(
      withTimeout(new Promise(() => undefined), 5, () => new Error("too slow")),
      /too slow/,
    );
    assert.equal(await withTimeout(Promise.resolve(7), 1000, () => new Error("x")), 7);
  });
});
