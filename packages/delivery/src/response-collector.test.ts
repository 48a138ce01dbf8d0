import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { withDeadline } from "@hookyard/test-brokers";
import { Agent } from "undici";
import { CappedBuffer } from "./capped-body.js";
import { type CollectedResponse, type CollectOptions, collectResponse } from "./response-collector.js";
import { startServer, type TestServer } from "./test-support.js";

describe("CappedBuffer", () => {
  it("keeps a body of exactly the cap whole, not truncated", () => {
    const kept = new CappedBuffer(6);
    assert.equal(kept.add(Buffer.from("abc")), true);
    assert.equal(kept.add(Buffer.from("def")), true);
    assert.deepEqual([kept.text(), kept.truncated], ["abcdef", false]);
  });

  it("cuts the chunk that crosses the cap and asks to stop", () => {
    const kept = new CappedBuffer(4);
    assert.equal(kept.add(Buffer.from("abc")), true);
    assert.equal(kept.add(Buffer.from("def")), false);
    assert.deepEqual([kept.text(), kept.truncated], ["abcd", true]);
    assert.equal(kept.add(Buffer.from("g")), false, "nothing more once full");
    assert.equal(kept.text(), "abcd");
  });

  it("empty and single-chunk bodies", () => {
    assert.equal(new CappedBuffer(10).text(), "");
    const one = new CappedBuffer(10);
    one.add(Buffer.from("ünï"));
    assert.equal(one.text(), "ünï");
  });
});

/** Ref'd timers alive now (undici's own timers are unref'd, so this counts ours). */
const liveTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("collectResponse against a real server", () => {
  let server: TestServer;
  let agent: Agent;
  let signal: AbortSignal;
  let timersBefore: number;
  /** Resolves when the server side of the connection that carried `path` closes. */
  const socketClosed = new Map<string, Promise<void>>();
  const intervals = new Set<NodeJS.Timeout>();
  /** `/hold` answers only once the test releases it. */
  let releaseHold = Promise.withResolvers<void>();

  before(async () => {
    server = await startServer((request, response) => {
      const path = request.url ?? "";
      const socket = request.socket;
      socketClosed.set(path, new Promise((resolve) => socket.once("close", () => resolve())));
      socket.on("error", () => undefined);
      response.on("error", () => undefined);
      if (path === "/exact") return void response.end("0123456789");
      if (path === "/two-chunks") {
        response.writeHead(200).write("01234");
        return void setTimeout(() => response.end("56789abc"), 20);
      }
      if (path === "/early-hints") {
        response.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
        return void setTimeout(() => response.writeHead(201, { "x-a": ["1", "2"] }).end("made"), 10);
      }
      if (path === "/hold") return void releaseHold.promise.then(() => response.end("held"));
      if (path === "/never") return;
      if (path === "/drip") return void drip(response);
      response.writeHead(404).end();
    });
  });
  after(async () => {
    for (const interval of intervals) clearInterval(interval);
    await server.close();
  });
  beforeEach(() => {
    agent = new Agent();
    signal = new AbortController().signal;
    timersBefore = liveTimers();
  });
  afterEach(async () => {
    // Whatever the path, the attempt leaves no listener on the signal and no timer behind.
    assert.equal(getEventListeners(signal, "abort").length, 0, "abort listeners left on the signal");
    assert.equal(liveTimers(), timersBefore, "timers left running");
    await agent.close();
  });

  function drip(response: ServerResponse): void {
    response.writeHead(200);
    const interval = setInterval(() => response.write("."), 20);
    intervals.add(interval);
    response.on("close", () => {
      clearInterval(interval);
      intervals.delete(interval);
    });
  }

  const collect = (path: string, options: Partial<CollectOptions> = {}): Promise<CollectedResponse> =>
    withDeadline(
      path,
      collectResponse(
        agent,
        { origin: server.origin, path, method: "POST", body: "{}", headersTimeout: 5_000, bodyTimeout: 5_000 },
        { maxBodyBytes: 10, timeoutMs: 5_000, signal, ...options },
      ),
      5_000,
    );

  it("a body of exactly the cap: whole, not truncated, the connection kept", async () => {
    const response = await collect("/exact");
    assert.deepEqual(
      [response.status, response.body, response.truncated, response.error, response.deadlineExceeded],
      [200, "0123456789", false, undefined, false],
    );
    // Kept alive: a second request reuses the socket, which is still open.
    let closed = false;
    void socketClosed.get("/exact")?.then(() => (closed = true));
    await collect("/exact");
    assert.equal(closed, false);
  });

  it("a body over the cap across chunks: cut at the cap, no error, the connection dropped", async () => {
    const response = await collect("/two-chunks");
    assert.deepEqual(
      [response.status, response.body, response.truncated, response.error],
      [200, "0123456789", true, undefined],
    );
    const closed = socketClosed.get("/two-chunks");
    assert.ok(closed);
    await withDeadline("server side of the connection closing", closed, 5_000);
  });

  it("an informational 103 is skipped; repeated headers come as arrays", async () => {
    const response = await collect("/early-hints");
    assert.equal(response.status, 201);
    assert.equal(response.body, "made");
    assert.deepEqual(response.headers["x-a"], ["1", "2"]);
    assert.equal(response.headers.link, undefined);
  });

  it("the deadline during the body: settles on time with the status, the connection dropped", async () => {
    const startedAt = Date.now();
    const response = await collect("/drip", { timeoutMs: 200, maxBodyBytes: 1_000 });
    assert.ok(Date.now() - startedAt >= 190, "not before the deadline");
    assert.equal(response.status, 200);
    assert.equal(response.deadlineExceeded, true);
    assert.match(String(response.error), /attempt deadline of 200 ms exceeded/);
    assert.equal(response.truncated, true);
    assert.match(response.body, /^\.+$/);
    const closed = socketClosed.get("/drip");
    assert.ok(closed);
    await withDeadline("server side of the connection closing", closed, 5_000);
  });

  it("the deadline before any answer: no status, deadlineExceeded", async () => {
    const response = await collect("/never", { timeoutMs: 100 });
    assert.deepEqual([response.status, response.deadlineExceeded, response.body], [undefined, true, ""]);
  });

  it("the deadline while queued for a connection: settles on time, and the request is never sent", async () => {
    await agent.close();
    agent = new Agent({ connections: 1 });
    const received = server.requests.length;
    releaseHold = Promise.withResolvers<void>();
    const holding = collect("/hold", { timeoutMs: 5_000 }); // occupies the only connection until released
    // The queued request settles by its own deadline while the only connection is still held: it never waited.
    const queued = await collect("/exact", { timeoutMs: 100 });
    assert.deepEqual([queued.status, queued.deadlineExceeded], [undefined, true]);
    releaseHold.resolve();
    assert.equal((await holding).body, "held");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      server.requests.slice(received).map((request) => request.url),
      ["/hold"],
    );
  });

  it("the signal mid-body: settles with the status and the signal's reason, the connection dropped", async () => {
    const controller = new AbortController();
    signal = controller.signal;
    const pending = collect("/drip", { maxBodyBytes: 1_000 });
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const response = await pending;
    assert.equal(response.status, 200);
    assert.equal(response.deadlineExceeded, false);
    assert.match(String(response.error), /shutting down/);
    assert.equal(response.truncated, true);
    const closed = socketClosed.get("/drip");
    assert.ok(closed);
    await withDeadline("server side of the connection closing", closed, 5_000);
  });

  it("the signal before the answer: no status, the signal's reason", async () => {
    const controller = new AbortController();
    signal = controller.signal;
    const pending = collect("/never");
    setTimeout(() => controller.abort(), 50);
    const response = await pending;
    assert.equal(response.status, undefined);
    assert.equal((response.error as Error).name, "AbortError");
  });

  it("a signal already aborted: nothing is sent", async () => {
    const controller = new AbortController();
    controller.abort();
    signal = controller.signal;
    const received = server.requests.length;
    const response = await collect("/exact");
    assert.equal(response.status, undefined);
    assert.equal((response.error as Error).name, "AbortError");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.requests.length, received);
  });

  it("a refused connection: no status, undici's error", async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const response = await withDeadline(
      "refused",
      collectResponse(
        agent,
        { origin: closed.origin, path: "/", method: "POST", body: "{}" },
        { maxBodyBytes: 10, timeoutMs: 5_000, signal },
      ),
      5_000,
    );
    assert.equal(response.status, undefined);
    assert.equal((response.error as { code?: string }).code, "ECONNREFUSED");
  });
});
