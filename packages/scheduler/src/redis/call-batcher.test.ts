import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCallBatcher } from "./call-batcher.js";

function recordingBatcher(options: { maxBatch?: number; maxWeight?: number; maxInFlight?: number } = {}) {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  const call = createCallBatcher<number, string>({
    maxBatch: options.maxBatch ?? 100,
    maxWeight: options.maxWeight ?? 1_000,
    maxInFlight: options.maxInFlight ?? 1,
    weigh: (n) => n,
    async run(requests) {
      batches.push([...requests]);
      await new Promise<void>((resolve) => release.push(resolve));
      if (requests.includes(13)) throw new Error("batch failed");
      return requests.map((n) => (n < 0 ? new Error(`bad ${n}`) : `r${n}`));
    },
  });
  const releaseAll = async () => {
    while (release.length > 0) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { call, batches, releaseAll };
}

/** The call's result, or its error's message (attached at once: no unhandled rejection while batches wait). */
const outcome = (promise: Promise<string>): Promise<string> =>
  promise.catch((error: Error) => `error: ${error.message}`);

describe("call batcher", () => {
  it("sends same-tick calls together and calls made meanwhile in the next batch, each with its own result", async () => {
    const { call, batches, releaseAll } = recordingBatcher();
    const first = [call(1), call(2), call(-3)].map(outcome);
    await new Promise((resolve) => setImmediate(resolve));
    const second = [call(4), call(5)].map(outcome);
    assert.deepEqual(batches, [[1, 2, -3]]);
    await releaseAll();
    assert.deepEqual(batches, [
      [1, 2, -3],
      [4, 5],
    ]);
    assert.deepEqual(await Promise.all([...first, ...second]), ["r1", "r2", "error: bad -3", "r4", "r5"]);
  });

  it("keeps batches within the count and weight limits, a single heavy call going alone", async () => {
    const { call, batches, releaseAll } = recordingBatcher({ maxBatch: 3, maxWeight: 10, maxInFlight: 4 });
    const calls = [1, 1, 1, 1, 4, 4, 4, 50, 2].map((n) => call(n));
    await new Promise((resolve) => setImmediate(resolve));
    await releaseAll();
    await Promise.all(calls);
    assert.deepEqual(batches, [[1, 1, 1], [1, 4, 4], [4], [50], [2]]);
  });

  it("rejects every call of a failed batch and goes on with the next", async () => {
    const { call, releaseAll } = recordingBatcher();
    const failed = [call(12), call(13)].map(outcome);
    await new Promise((resolve) => setImmediate(resolve));
    const later = call(14);
    await releaseAll();
    assert.deepEqual(await Promise.all(failed), ["error: batch failed", "error: batch failed"]);
    assert.equal(await later, "r14");
  });
});
