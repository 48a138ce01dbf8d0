import { type ChildProcess, spawn } from "node:child_process";
import { redisServerArgs, scratchDir, waitForStart } from "@hookyard/test-brokers";
import { Redis } from "ioredis";

/** A redis-server of the test's own (so it can be stopped and restarted without disturbing other tests). */
export interface PrivateRedis {
  readonly url: string;
  start(): Promise<void>;
  /**
   * SIGKILL: what a Redis process crash looks like. Acknowledged writes survive it with the documented
   * appendfsync everysec (Redis writes to the AOF before it replies); only a host crash could lose ~1 s.
   */
  kill(): Promise<void>;
  /** SIGSTOP: a hung Redis: connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export function privateRedis(port: number): PrivateRedis {
  const dir = scratchDir("hookyard-redis");
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    async start() {
      const started = spawn("redis-server", redisServerArgs(port, dir), { stdio: "ignore" });
      child = started;
      await waitForStart(`redis-server on port ${port}`, started, async () => {
        const client = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          retryStrategy: () => null,
        });
        client.on("error", () => undefined); // refused while starting: the probe just tries again
        try {
          await client.connect();
          return (await client.ping()) === "PONG" ? true : undefined;
        } finally {
          client.disconnect();
        }
      });
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGCONT"); // a paused process exits on SIGKILL too, but do not leave it stopped if it does not
      running.kill("SIGKILL");
      await exited;
    },
  };
}
