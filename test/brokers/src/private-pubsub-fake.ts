import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { stablePort } from "./stable-port.js";

/**
 * A Pub/Sub fake of the test's own, on its own port, so a test can stop and start "the broker" without disturbing
 * the tests that use the shared one. pstest keeps nothing across a restart: topics and subscriptions are gone.
 */
export interface PrivatePubsubFake {
  /** host:port, for PUBSUB_EMULATOR_HOST / the client's apiEndpoint. */
  readonly host: string;
  start(): Promise<void>;
  /** SIGTERM, and waits for the exit; does nothing when it is not running. */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/** The newest fake binary the broker harness built (`test/brokers/brokers up pubsub`). */
function fakeBinary(): string {
  const cache = join(process.env.HOOKYARD_CACHE_DIR ?? join(homedir(), ".cache", "hookyard"), "pubsub-fake");
  const newest = (existsSync(cache) ? readdirSync(cache) : [])
    .map((dir) => join(cache, dir, "pubsub-fake"))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) throw new Error(`no pstest binary under ${cache}: run \`test/brokers/brokers up pubsub\``);
  return newest;
}

/** Resolves once the fake says it listens; rejects if it exits first or stays silent for 15 s. */
function launch(binary: string, host: string): Promise<ChildProcess> {
  const child = spawn(binary, ["-addr", host], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`pstest did not start on ${host}: ${output}`)), START_TIMEOUT_MS);
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

function terminate(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** A private fake on a stable port (below the ephemeral range, so a restart can bind it again); not started yet. */
export async function privatePubsubFake(): Promise<PrivatePubsubFake> {
  const binary = fakeBinary();
  const host = `127.0.0.1:${await stablePort()}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await launch(binary, host);
  };
  const stop = () => terminate(child);
  return {
    host,
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
  };
}
