import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { DEFAULT_RETRY_POLICY, type Endpoint } from "@hookyard/core";
import { createHttpDelivery, generateSecret } from "@hookyard/delivery";
import {
  createEmbeddedStore,
  createManualClock,
  createRedisStore,
  createWorker,
  type SchedulerStore,
} from "@hookyard/scheduler";
import { takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "@hookyard/scheduler/testing";
import { requireBrokers, waitFor } from "@hookyard/test-brokers";

// Issue 14 end to end: the worker, a real store (Redis and embedded) and @hookyard/delivery against real HTTP
// servers. No timing windows: counts, ordering and the manual clock decide.

const brokers = requireBrokers("redis");
const SECOND = 1000;

interface Receiver {
  readonly url: string;
  readonly requests: number;
  close(): Promise<void>;
}

/** A store test endpoint served by `url`, with a signing secret (delivery refuses to send unsigned). */
function httpEndpoint(id: string, url: string, overrides: Parameters<typeof testEndpoint>[1] = {}): Endpoint {
  return { ...testEndpoint(id, overrides), url, secrets: [{ secret: generateSecret() }] };
}

async function receiver(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<Receiver> {
  let requests = 0;
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    requests += 1;
    open.add(res);
    res.on("close", () => open.delete(res));
    req.resume();
    req.on("end", () => answer(req, res, requests));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get requests() {
      return requests;
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const stores: [string, () => SchedulerStore][] = [
  ["redis", () => createRedisStore({ redis: brokers.redisUrl, prefix: uniqueId("hy-fair") })],
  ["embedded", () => createEmbeddedStore()],
];

for (const [name, open] of stores) {
  describe(`fair delivery over real HTTP: ${name} store`, () => {
    const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
    after(() => delivery.close());

    it("a hanging endpoint holds no more than its share while a healthy one gets everything through", async () => {
      const hanging = await receiver(() => {}); // never answers
      const healthy = await receiver((_req, res) => res.writeHead(200).end("ok"));
      const store = open();
      const clock = createManualClock(Date.now());
      const endpoints = new Map<string, Endpoint>(
        [httpEndpoint(uniqueId("ep-hang"), hanging.url), httpEndpoint(uniqueId("ep-ok"), healthy.url)].map(
          (endpoint) => [endpoint.id, endpoint],
        ),
      );
      const [hangId = "", okId = ""] = [...endpoints.keys()];
      await store.syncEndpoints([...endpoints.values()]);
      const worker = createWorker({
        store,
        send: (claimed, endpoint, signal) => delivery.send(endpoint, claimed.envelope, claimed.attempt, { signal }),
        endpoints: (id) => endpoints.get(id),
        clock,
        maxInFlight: 6,
        slowSendMs: SECOND,
        flushLingerMs: 1,
      });
      try {
        for (let i = 0; i < 10; i++)
          await store.enqueue({ envelope: testEnvelope(), endpointIds: [hangId], now: clock.now() });
        worker.start();
        await waitFor("the hanging endpoint's first request", () => (hanging.requests > 0 ? true : undefined));
        clock.advance(SECOND + 1); // its requests are now stuck: no more for it from this worker
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) {
          ids.push(
            ...(await store.enqueue({ envelope: testEnvelope(), endpointIds: [okId], now: clock.now() })).deliveryIds,
          );
        }
        await waitFor("every healthy delivery", () => (healthy.requests >= 20 ? true : undefined), {
          timeoutMs: 60_000,
        });
        // 6 slots: one claim leaves a share free, so the hanging endpoint (concurrency 10, 10 queued) got at most
        // half; the healthy one got all of its 20 through meanwhile.
        const hangState = await store.getEndpointState(hangId, clock.now());
        assert.ok(hangState.inFlight <= 3, `hanging endpoint in flight: ${hangState.inFlight}`);
        assert.ok(hanging.requests <= 3, `hanging endpoint requests: ${hanging.requests}`);
        assert.equal(healthy.requests, 20);
      } finally {
        await worker.stop({ graceMs: 0 });
        await store.close();
        await Promise.all([hanging.close(), healthy.close()]);
      }
    });

    it("an endpoint whose answers slow down gets less concurrency before slowSendMs, and it back when fast", async () => {
      const pending: ServerResponse[] = [];
      const slowing = await receiver((_req, res) => pending.push(res)); // answered when the test says
      const store = open();
      const clock = createManualClock(Date.now());
      const endpoint = httpEndpoint(uniqueId("ep-slowing"), slowing.url, { concurrency: 8 });
      await store.syncEndpoints([endpoint]);
      const claims: number[] = [];
      const worker = createWorker({
        store,
        send: (claimed, ep, signal) => delivery.send(ep, claimed.envelope, claimed.attempt, { signal }),
        endpoints: (id) => (id === endpoint.id ? endpoint : undefined),
        clock,
        maxInFlight: 40,
        slowSendMs: 2 * SECOND,
        flushLingerMs: 1,
        observer: { onClaim: (count) => claims.push(count) },
      });
      // One claim: queue `add` more, wait for what it claimed to arrive, answer all of them after `durationMs` of
      // the manual clock. Returns how many it claimed.
      const round = async (add: number, durationMs: number): Promise<number> => {
        for (let i = 0; i < add; i++) {
          await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoint.id], now: clock.now() });
        }
        const claimsBefore = claims.length;
        const once = worker.runOnce();
        const claimed = await waitFor("the claim", () => claims[claimsBefore], { timeoutMs: 60_000 });
        await waitFor(`${claimed} requests`, () => (pending.length === claimed ? true : undefined), {
          timeoutMs: 60_000,
        });
        clock.advance(durationMs);
        for (const res of pending.splice(0)) res.writeHead(200).end("ok");
        await once;
        return claimed;
      };
      try {
        assert.equal(await round(8, 10), 8, "all of its concurrency; answers in 10 ms: its baseline");
        assert.equal(await round(8, 200), 8, "answers in 200 ms: 20x its baseline, a tenth of slowSendMs");
        assert.equal(await round(8, 10), 4, "half its concurrency after latency grew; fast answers again");
        assert.equal(await round(4, 10), 8, "back to its concurrency after four prompt answers");
      } finally {
        await worker.stop({ graceMs: 0 });
        await store.close();
        await slowing.close();
      }
    });

    it("a 429 with Retry-After holds the endpoint, keeps the breaker closed and spends no retry", async () => {
      const throttling = await receiver((_req, res, n) =>
        n === 1 ? res.writeHead(429, { "retry-after": "120" }).end("slow down") : res.writeHead(200).end("ok"),
      );
      const store = open();
      const clock = createManualClock(Date.now());
      // One attempt allowed by the schedule, and a breaker that would open on a single failure.
      const endpoint = httpEndpoint(uniqueId("ep-429"), throttling.url, {
        retry: { ...DEFAULT_RETRY_POLICY, scheduleMs: [0] },
        breaker: { minRequests: 1, failureRate: 0.5 },
      });
      await store.syncEndpoints([endpoint]);
      const worker = createWorker({
        store,
        send: (claimed, ep, signal) => delivery.send(ep, claimed.envelope, claimed.attempt, { signal }),
        endpoints: (id) => (id === endpoint.id ? endpoint : undefined),
        clock,
        flushLingerMs: 1,
      });
      try {
        const [id = ""] = (
          await store.enqueue({ envelope: testEnvelope(), endpointIds: [endpoint.id], now: clock.now() })
        ).deliveryIds;
        const first = await worker.runOnce();
        assert.deepEqual(
          first.results.map((result) => result.kind),
          ["throttled"],
        );
        const state = await store.getEndpointState(endpoint.id, clock.now());
        assert.deepEqual([state.breaker, state.failingSince, state.queued], ["closed", undefined, 1]);
        const start = clock.now();
        clock.set(start + 119 * SECOND);
        assert.equal((await worker.runOnce()).claimed, 0, "held for its Retry-After");
        clock.set(start + 120 * SECOND);
        const second = await worker.runOnce();
        assert.deepEqual(
          second.results.map((result) => result.kind),
          ["delivered"],
        );
        const [record] = (await takeAllSettled(store, clock.now())).filter((r) => r.deliveryId === id);
        assert.equal(record?.status, "delivered");
        assert.deepEqual(
          record?.attemptLog.map((attempt) => attempt.status),
          [429, 200],
        );
      } finally {
        await worker.stop({ graceMs: 0 });
        await store.close();
        await throttling.close();
      }
    });
  });
}
