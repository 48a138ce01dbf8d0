// Test helper (not exported): a private pstest fake on its own port, so a test can restart "the broker" without
// disturbing other tests that use the shared one.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

export interface PrivateFake {
  readonly host: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest pstest binary the broker harness built (test/brokers/brokers up pubsub). */
function fakeBinary(): string {
  const cache = join(process.env.HOOKYARD_CACHE_DIR ?? join(homedir(), ".cache", "hookyard"), "pubsub-fake");
  const candidates = existsSync(cache)
    ? readdirSync(cache)
        .map((dir) => join(cache, dir, "pubsub-fake"))
        .filter((file) => existsSync(file))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  const newest = candidates[0];
  if (newest === undefined) {
    throw new Error(`no pstest binary under ${cache}: run \`test/brokers/brokers up pubsub\` first`);
  }
  return newest;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function launch(binary: string, host: string): Promise<ChildProcess> {
  const child = spawn(binary, ["-addr", host], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`pstest did not start on ${host}: ${output}`)), 10_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pstest exited with ${code}: ${output}`));
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function startPrivateFake(): Promise<PrivateFake> {
  const binary = fakeBinary();
  const host = `127.0.0.1:${await freePort()}`;
  let child = await launch(binary, host);
  return {
    host,
    async restart() {
      await terminate(child);
      child = await launch(binary, host);
    },
    stop: () => terminate(child),
  };
}
