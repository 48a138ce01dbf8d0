// Helpers for this package's tests: real HTTP servers on 127.0.0.1 and a ready-made endpoint. Not exported.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { DEFAULT_ENDPOINT_POLICY, type Endpoint, type EndpointPolicy } from "@hookyard/core";

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** Resolves with the next request that arrives (or one already received and not yet taken). */
  nextRequest(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

/** A server that records each request (with its full body) and then calls `handler`. */
export async function startServer(
  handler: Handler,
  { host = "127.0.0.1", port = 0 }: { host?: string; port?: number } = {},
): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const waiters: ((request: ReceivedRequest) => void)[] = [];
  let taken = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const received = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body };
      requests.push(received);
      const waiter = waiters.shift();
      if (waiter) {
        taken++;
        waiter(received);
      }
      handler(request, response, body);
    });
  });
  server.listen(port, host);
  await once(server, "listening");
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: actualPort,
    origin: `http://${host}:${actualPort}`,
    requests,
    nextRequest() {
      const ready = requests[taken];
      if (ready !== undefined) {
        taken++;
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

export const TEST_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export function testEndpoint(
  url: string,
  overrides: Partial<Omit<Endpoint, "policy">> & { policy?: Partial<EndpointPolicy> } = {},
): Endpoint {
  const { policy, ...rest } = overrides;
  return {
    id: "ep_test",
    url,
    owner: "tests",
    secrets: [{ secret: TEST_SECRET }],
    headers: {},
    enabled: true,
    ...rest,
    policy: {
      ...DEFAULT_ENDPOINT_POLICY,
      retry: { ...DEFAULT_ENDPOINT_POLICY.retry, minThrottleDelayMs: 1_000, maxRetryAfterMs: 60_000 },
      timeoutMs: 5_000,
      ...policy,
    },
  };
}

export interface ConnectProxy {
  readonly url: string;
  /** The CONNECT targets asked for, as `host:port`. */
  readonly tunnels: string[];
  /** Targets answered with this status instead of a tunnel. */
  readonly refuse: Set<string>;
  close(): Promise<void>;
}

/** A minimal HTTP CONNECT proxy on 127.0.0.1. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const refuse = new Set<string>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (request, client: Socket, head: Buffer) => {
    const target = request.url ?? "";
    tunnels.push(target);
    sockets.add(client);
    client.on("error", () => undefined);
    if (refuse.has(target)) {
      client.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const separator = target.lastIndexOf(":");
    const host = target.slice(0, separator).replace(/^\[|\]$/g, "");
    const upstream = connect(Number(target.slice(separator + 1)), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    refuse,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
