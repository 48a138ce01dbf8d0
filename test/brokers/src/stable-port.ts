import { createServer } from "node:net";

/**
 * A free port below the ephemeral range (32768+ on Linux): an ephemeral port the OS picked could be taken by an
 * outgoing connection while the broker is down, and the restart would then fail to bind it.
 */
export async function stablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error("no free port between 20000 and 32000");
}
