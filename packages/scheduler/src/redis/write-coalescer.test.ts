import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import type { Redis } from "ioredis";
import { testEndpoint } from "../testing.js";
import { createRedisStore, type RedisSchedulerStore } from "./redis-store.js";
import { deleteKeysMatching } from "./test-redis-keys.js";

const brokers = requireBrokers("redis");

describe("redis store: store calls made in one turn of the event loop", () => {
  let store: RedisSchedulerStore;
  const prefix = uniqueName("hyt");
  const request = { workerId: "w1", max: 10, leaseMs: 60_000, now: Date.now() };

  before(async () => {
    store = createRedisStore({ redis: brokers.redisUrl, prefix });
    await store.syncEndpoints([testEndpoint("ep-1")]);
  });
  after(async () => {
    await deleteKeysMatching(store.client, `{${prefix}}:*`);
    await store.close();
  });

  /** Writes the store's connection makes while `calls` run (each one a syscall that wakes Redis). */
  async function writesDuring(calls: () => Promise<unknown>): Promise<number> {
    const socket = (store.client as Redis).stream as Socket;
    // Counted where a Writable hands its data to the socket: one _write per write, one _writev per batch.
    const { _write: write, _writev: writev } = Object.getPrototypeOf(socket) as Socket;
    let writes = 0;
    socket._write = function (...args) {
      writes += 1;
      write.apply(this, args);
    };
    socket._writev = function (...args) {
      writes += 1;
      writev?.apply(this, args);
    };
    try {
      await calls();
    } finally {
      Reflect.deleteProperty(socket, "_write");
      Reflect.deleteProperty(socket, "_writev");
    }
    return writes;
  }

  it("go out in one write", async () => {
    const together = await writesDuring(() => Promise.all([store.claim(request), store.claim(request)]));
    const apart = await writesDuring(async () => {
      await store.claim(request);
      await store.claim(request);
    });
    assert.deepEqual({ together, apart }, { together: 1, apart: 2 });
  });

  it("keep their own replies", async () => {
    const [claimed, missing] = await Promise.all([store.claim(request), store.getDelivery("no-such-delivery")]);
    assert.deepEqual([claimed.deliveries, missing], [[], undefined]);
  });
});
