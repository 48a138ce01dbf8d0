import { createConnection, createServer, type Server, type Socket } from "node:net";
import { stablePort } from "./stable-port.js";

/**
 * A plain TCP relay in front of a shared broker that a test can take down and bring back: the broker looks
 * restarted to Hookyard (every connection cut, new ones refused) while the broker itself, which other tests use,
 * keeps running. Works for any protocol that does not redirect clients elsewhere (AMQP, HTTP, gRPC; not Kafka).
 */
export interface TcpProxy {
  /** host:port to connect to instead of the target. */
  readonly address: string;
  /** Cuts every open connection and stops listening: connections are refused until `up()`. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  // Not an OS-picked port: one from the ephemeral range could be taken by an outgoing connection while down.
  const port = await stablePort();
  const listen = async () => {
    const next = createServer((client) => {
      const upstream = createConnection({ host: target.host, port: target.port });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => next.listen(port, "127.0.0.1", resolve));
    server = next;
  };
  const down = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  return { address: `127.0.0.1:${port}`, down, up: listen, close: down };
}
