import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { stablePort } from "@hookyard/test-brokers";

/** A pstest Pub/Sub fake of the test's own, on its own port, so the test may stop and start it. */
export interface PrivatePstest {
  readonly host: string;
  start(): Promise<void>;
  /** SIGTERM; pstest keeps nothing in memory across a restart. */
  stop(): Promise<void>;
}

/** The newest pstest binary the broker harness built (`test/brokers/brokers up pubsub`). */
function pstestBinary(): string {
  const cache = join(process.env.HOOKYARD_CACHE_DIR ?? join(homedir(), ".cache", "hookyard"), "pubsub-fake");
  const newest = (existsSync(cache) ? readdirSync(cache) : [])
    .map((dir) => join(cache, dir, "pubsub-fake"))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) throw new Error(`no pstest binary under ${cache}: run \`test/brokers/brokers up pubsub\``);
  return newest;
}

export async function privatePstest(): Promise<PrivatePstest> {
  const binary = pstestBinary();
  const host = `127.0.0.1:${await stablePort()}`;
  let child: ChildProcess | undefined;
  return {
    host,
    start() {
      const next = spawn(binary, ["-addr", host], { stdio: ["ignore", "ignore", "pipe"] });
      child = next;
      return new Promise((resolve, reject) => {
        let output = "";
        const timer = setTimeout(() => reject(new Error(`pstest did not start on ${host}: ${output}`)), 15_000);
        next.stderr?.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("listening on")) {
            clearTimeout(timer);
            resolve();
          }
        });
        next.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`pstest exited with ${code}: ${output}`));
        });
      });
    },
    async stop() {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    },
  };
}
