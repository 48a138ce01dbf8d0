import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { requireBrokers, uniqueName, withDeadline } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { writeConfigFile } from "./config-file.js";
import { INGEST_KEY, TEST_SECRET } from "./gateway-fixture.js";
import { freePort, runHookyard } from "./hookyard-process.js";
import { deleteHookyardKeys } from "./redis-cleanup.js";

const GRACE_MS = 2000;
/** A failure guard only (the run must end), not a timing window: the shutdown itself is checked by order. */
const EXIT_GUARD_MS = GRACE_MS + 10_000;

/** An endpoint that holds every request open until `answer()` is called; then it answers 200. */
async function startHangingEndpoint() {
  const held: ServerResponse[] = [];
  const arrived: IncomingMessage[] = [];
  let answering = false;
  let onArrival: (() => void) | undefined;
  const server = createServer((request, response) => {
    request.resume();
    arrived.push(request);
    onArrival?.();
    if (answering) response.writeHead(200).end("ok");
    else held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived,
    async waitForRequests(count: number, timeoutMs = 20_000): Promise<void> {
      await withDeadline(
        `${count} requests at the endpoint`,
        new Promise<void>((resolve) => {
          onArrival = () => {
            if (arrived.length >= count) resolve();
          };
          onArrival();
        }),
        timeoutMs,
      );
    },
    answer(): void {
      answering = true;
    },
    async close(): Promise<void> {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client that made one keep-alive request to `port` and then sits idle on the open connection. */
async function idleKeepAliveClient(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => resolve());
  });
  socket.on("error", () => undefined); // reset by the server at shutdown: expected
  const answered = new Promise<void>((resolve) => {
    let seen = "";
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (seen.includes("\r\n\r\n")) resolve();
    });
  });
  socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  await withDeadline("the keep-alive request's answer", answered, 10_000);
  return { socket, closed };
}

/** A client that connected and sent part of a request (a slow upload, or one that never sends a request). */
async function stalledClient(port: number, partial: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => resolve());
  });
  socket.on("error", () => undefined);
  socket.resume(); // read, so the server's FIN or reset is seen
  if (partial !== "") socket.write(partial);
  return { socket, closed };
}

describe("SIGTERM with an idle keep-alive client and a hanging endpoint", () => {
  it("closes the idle connection, aborts and releases the hanging send, and exits; nothing is lost", async () => {
    const { redisUrl } = requireBrokers("redis");
    const endpoint = await startHangingEndpoint();
    const prefix = uniqueName("hy-grace");
    const port = await freePort();
    const file = writeConfigFile({
      server: { host: "127.0.0.1", port, shutdownGrace: `${GRACE_MS}ms` },
      log: { level: "info", format: "json" },
      redis: { url: redisUrl, prefix },
      delivery: { lease: "90s" },
      ingest: { enabled: true, apiKeys: [INGEST_KEY] },
      egress: { allowCidrs: ["127.0.0.0/8"] },
      endpoints: [
        // The attempt's own timeout is far beyond the grace period: only the shutdown can end it.
        { id: "hangs", url: `${endpoint.url}/hangs`, secrets: [TEST_SECRET], policy: { timeout: "60s" } },
      ],
      subscriptions: [{ id: "all", endpoints: ["hangs"], types: ["*"] }],
    });
    const redis = new Redis(redisUrl);
    const sockets: Socket[] = [];
    const first = runHookyard(["start", "-c", file]);
    let second: ReturnType<typeof runHookyard> | undefined;
    try {
      await first.waitForLine(/hookyard started/);
      const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ id: uniqueName("evt"), type: "grace.test", data: { n: 1 } }),
      });
      assert.equal(response.status, 202, await response.text());
      await endpoint.waitForRequests(1);
      const client = await idleKeepAliveClient(port);
      // Each of these held shutdown until a Node timeout (60 s and more): closed at the deadline now.
      const silent = await stalledClient(port, "");
      const upload = await stalledClient(
        port,
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST_KEY}\r\n` +
          "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      );
      sockets.push(client.socket, silent.socket, upload.socket);
      const order: string[] = [];
      void client.closed.then(() => order.push("idle connection closed"));
      const released = first.waitForLine(/released unsent deliveries/, EXIT_GUARD_MS);
      released.then(
        () => order.push("hanging send released"),
        () => undefined,
      );

      first.kill("SIGTERM");
      const exit = await withDeadline("the first instance to exit", first.exited, EXIT_GUARD_MS);
      order.push("exited");
      assert.equal(exit.code, 0, first.stderr());
      await released;
      // The server closed the idle keep-alive connection at once (the client never hung up), long before the
      // grace period ran out and the hanging send was aborted and released; then the process exited.
      assert.deepEqual(order, ["idle connection closed", "hanging send released", "exited"]);
      await Promise.all([silent.closed, upload.closed]);

      // Released, not left to an expiring lease, and the aborted attempt is not counted.
      const ids = await redis.keys(`{${prefix}}:dlv:*`);
      assert.equal(ids.length, 1, "the delivery is still in the store");
      // A delivery's state is packed in one field, "status|attempts|…" (packages/scheduler/src/lua/lib/delivery.lua).
      const [status, attempts] = (await redis.hget(ids[0] ?? "", "s"))?.split("|") ?? [];
      assert.deepEqual([status, Number(attempts ?? 0)], ["queued", 0]);

      // A new instance delivers it: nothing accepted was lost.
      endpoint.answer();
      second = runHookyard(["start", "-c", file]);
      await second.waitForLine(/hookyard started/);
      await endpoint.waitForRequests(2);
      await withDeadline(
        "the delivery to settle",
        (async () => {
          while ((await redis.keys(`{${prefix}}:dlv:*`)).length > 0) await new Promise((r) => setTimeout(r, 50));
        })(),
        20_000,
      );
    } finally {
      if (first.child.exitCode === null) first.kill("SIGKILL");
      if (second !== undefined) {
        second.kill("SIGTERM");
        await second.exited;
      }
      for (const socket of sockets) socket.destroy();
      await endpoint.close();
      await deleteHookyardKeys(redisUrl, prefix);
      redis.disconnect();
    }
  });
});
