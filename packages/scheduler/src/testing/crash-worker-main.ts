// Child process of worker-crash.test.ts: one worker on the Redis store sending to the test's receiver, running
// until the test kills it (SIGKILL). Test support only; not part of the package's public index.
import { createRedisStore } from "../redis/redis-store.js";
import { createWorker } from "../worker.js";
import { createHttpPostSender, receiverEndpoint } from "./http-post-sender.js";

export interface CrashWorkerConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly receiverUrl: string;
  readonly endpointIds: readonly string[];
  readonly workerId: string;
  readonly leaseMs: number;
  readonly maxInFlight: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as CrashWorkerConfig;
const endpoints = new Map(config.endpointIds.map((id) => [id, receiverEndpoint(id, config.receiverUrl)]));
const store = createRedisStore({ redis: config.redisUrl, prefix: config.prefix });
const sender = createHttpPostSender();
const worker = createWorker({
  store,
  send: sender.send,
  endpoints: (id) => endpoints.get(id),
  workerId: config.workerId,
  leaseMs: config.leaseMs,
  maxInFlight: config.maxInFlight,
  logger: {
    debug() {},
    info() {},
    warn: (details, message) => console.error(message, details),
    error: (details, message) => console.error(message, details),
  },
});
worker.start();
// The test holds our stdin open; when it dies (a runner timeout), the pipe closes and no orphan keeps working.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
