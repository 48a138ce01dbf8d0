import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "./envelope.js";
import { configError, connectionError, HookyardError, permanentError } from "./errors.js";
import {
  type BatchItem,
  batchItems,
  chunksOf,
  type PublishInBatchesOptions,
  publishInBatches,
} from "./publish-in-batches.js";

const sizeOf = (envelope: { data: Uint8Array }) => envelope.data.byteLength;

function events(sizes: readonly number[]) {
  return sizes.map((size, i) =>
    createEnvelope({ id: `e${i}`, source: "test:unit", type: "t", data: new Uint8Array(size) }),
  );
}

/** A broker that refuses requests over `requestBytes` as a whole and records every request it saw. */
function broker(requestBytes: number, refuse: (items: readonly BatchItem[]) => unknown = () => undefined) {
  const requests: number[][] = [];
  const published: string[] = [];
  const options: PublishInBatchesOptions = {
    where: "unit sink",
    limits: { maxMessageBytes: 1000, maxBatchMessages: 10, maxBatchBytes: 10_000 },
    async publish(items) {
      requests.push(items.map((item) => item.index));
      const bytes = items.reduce((sum, item) => sum + item.size, 0);
      if (bytes > requestBytes) throw new HookyardError("MESSAGE_REJECTED", `request of ${bytes} bytes is too large`);
      const error = refuse(items);
      if (error !== undefined) throw error;
      published.push(...items.map((item) => item.envelope.id));
      return [];
    },
    isTooLarge: (error) => error instanceof HookyardError && error.code === "MESSAGE_REJECTED",
    translate: (error) => (error instanceof HookyardError ? error : connectionError(String(error))),
  };
  return { requests, published, options };
}

describe("publishInBatches", () => {
  it("chunks in order under the count and byte limits", () => {
    const items = batchItems(events([400, 400, 400, 100, 100, 100, 100]), sizeOf);
    const chunks = chunksOf(items, { maxMessageBytes: 1000, maxBatchMessages: 3, maxBatchBytes: 900 });
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((item) => item.index)),
      [
        [0, 1],
        [2, 3, 4],
        [5, 6],
      ],
    );
  });

  it("fails only an event over maxMessageBytes, naming its size and the limit, and sends its neighbours", async () => {
    const { options, published } = broker(100_000);
    const failed = await publishInBatches(batchItems(events([10, 1001, 10]), sizeOf), options);
    assert.deepEqual(published, ["e0", "e2"]);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.index, 1);
    assert.equal(failed[0]?.code, "MESSAGE_TOO_LARGE");
    assert.equal(failed[0]?.retryable, false);
    assert.match(failed[0]?.message ?? "", /1001 bytes, over the maxMessageBytes of 1000 bytes/);
  });

  it("splits a request the broker refuses for its size until every event is published", async () => {
    const { options, published, requests } = broker(1000);
    const failed = await publishInBatches(batchItems(events(Array(10).fill(300)), sizeOf), options);
    assert.deepEqual(failed, []);
    assert.deepEqual(
      [...published].sort(),
      events(Array(10).fill(300))
        .map((e) => e.id)
        .sort(),
    );
    assert.ok(requests.length > 1, "the refused request was split");
  });

  it("fails permanently an event the broker refuses alone, naming its size and the configured limit", async () => {
    const { options, published } = broker(500);
    const failed = await publishInBatches(batchItems(events([100, 600, 100]), sizeOf), options);
    assert.deepEqual(published.sort(), ["e0", "e2"]);
    assert.deepEqual(
      failed.map((item) => [item.index, item.code, item.retryable]),
      [[1, "MESSAGE_TOO_LARGE", false]],
    );
    assert.match(failed[0]?.message ?? "", /600 bytes.*1000 bytes.*request of 600 bytes is too large/);
  });

  it("keeps a batch-level transient failure retryable for every event, without splitting", async () => {
    const { options, requests } = broker(100_000, () => connectionError("broker down"));
    const failed = await publishInBatches(batchItems(events([10, 10, 10]), sizeOf), options);
    assert.deepEqual(
      failed.map((item) => [item.index, item.retryable]),
      [
        [0, true],
        [1, true],
        [2, true],
      ],
    );
    assert.equal(requests.length, 1, "a transient failure is not split: the runtime retries the events");
  });

  it("bisects a non-retryable request failure down to the event that causes it", async () => {
    const poison = (items: readonly BatchItem[]) =>
      items.some((item) => item.envelope.id === "e2") ? permanentError("bad attribute") : undefined;
    const { options, published } = broker(100_000, poison);
    const failed = await publishInBatches(batchItems(events([10, 10, 10, 10, 10]), sizeOf), options);
    assert.deepEqual(published.sort(), ["e0", "e1", "e3", "e4"]);
    assert.deepEqual(
      failed.map((item) => [item.index, item.retryable]),
      [[2, false]],
    );
  });

  it("does not split a configuration failure: it is about the sink, not an event", async () => {
    const { options, requests } = broker(100_000, () => configError("access refused"));
    const failed = await publishInBatches(batchItems(events([10, 10]), sizeOf), options);
    assert.equal(requests.length, 1);
    assert.deepEqual(
      failed.map((item) => item.code),
      ["CONFIG_INVALID", "CONFIG_INVALID"],
    );
  });

  it("sends requests one after the other in batch order when sequential", async () => {
    const { options, requests } = broker(100_000);
    const limits = { maxMessageBytes: 1000, maxBatchMessages: 2, maxBatchBytes: 10_000 };
    await publishInBatches(batchItems(events([1, 1, 1, 1, 1]), sizeOf), { ...options, limits, sequential: true });
    assert.deepEqual(requests, [[0, 1], [2, 3], [4]]);
  });
});
