import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uniqueId } from "./fixtures.js";
import type { WithStore } from "./harness.js";

/** Rejected messages: kept byte-exact, newest first, per origin. */
export function describeRejectedCases(withStore: WithStore, t0: number): void {
  describe("13. rejected messages", () => {
    it("keeps poison messages byte-exact with their reason, newest first, per origin", () =>
      withStore(async (store) => {
        const origin = `source:${uniqueId("src")}`;
        const other = `source:${uniqueId("src")}`;
        const bytes = new Uint8Array([0, 255, 10, 13, 0x80]);
        await store.keepRejected({ origin, reason: "no type", at: t0, headers: { "x-a": "1" }, data: bytes });
        await store.keepRejected({
          origin,
          reason: "not JSON",
          at: t0 + 1,
          headers: {},
          data: new Uint8Array([1]),
          idempotencyKey: "kafka:g:t:0:5",
        });
        await store.keepRejected({ origin: other, reason: "x", at: t0, headers: {}, data: new Uint8Array() });
        const kept = await store.listRejected(origin, 10);
        assert.deepEqual(
          kept.map((message) => message.reason),
          ["not JSON", "no type"],
        );
        assert.deepEqual(kept[1]?.data, bytes);
        assert.deepEqual(kept[1]?.headers, { "x-a": "1" });
        assert.equal(kept[0]?.idempotencyKey, "kafka:g:t:0:5");
        assert.equal((await store.listRejected(origin, 1)).length, 1);
        assert.equal((await store.listRejected(other, 10)).length, 1);
      }));
  });
}
