import type { FastifyInstance } from "fastify";

/** How often connections that went idle while the server closes are closed (a request finished on them). */
const SWEEP_MS = 100;

/**
 * Closes an HTTP server by `deadline` (epoch ms) whatever its clients do. `close()` alone waits for every
 * connection to end: a keep-alive connection whose request finished after close began stays open until the
 * client's keep-alive timeout (72 s by default: one idle client held shutdown for 73 s), and a connection that
 * never sends a request, or sends one slowly, until Node's header and request timeouts. So: idle connections
 * are closed as soon as they become idle, and whatever is still open at the deadline is closed outright.
 */
export async function closeServerBy(server: FastifyInstance, deadline: number): Promise<void> {
  const closing = server.close();
  const http = server.server;
  http.closeIdleConnections();
  const sweep = setInterval(() => http.closeIdleConnections(), SWEEP_MS);
  const force = setTimeout(() => http.closeAllConnections(), Math.max(0, deadline - Date.now()));
  try {
    await closing;
  } finally {
    clearInterval(sweep);
    clearTimeout(force);
  }
}
