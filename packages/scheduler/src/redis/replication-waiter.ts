import { HookyardError } from "@hookyard/core";
import type { Redis } from "ioredis";
import { translateRedisError } from "./redis-errors.js";
import { type ReplicaWaitCommand, replicaWaitCommand, waitForReplicas } from "./replica-wait.js";

/**
 * Group commit for `ackDurability: replicated`. `confirm()` resolves once `replicas` replicas hold every write
 * this connection made before the call: one `WAIT` (or `WAITAOF 1 <replicas>`, fsynced on each, where Redis
 * >= 7.2) covers every caller that asked while the previous one was in flight, so a burst of enqueues costs a
 * few WAITs, not one each. WAIT blocks its connection, so the writes it covers (enqueue, keep-rejected) run on a
 * connection of their own and leasing and settling never queue behind it.
 */
export interface ReplicationWaiter {
  confirm(): Promise<void>;
}

export interface ReplicationWaiterOptions {
  readonly connection: Redis;
  readonly replicas: number;
  readonly timeoutMs: number;
  /** Use WAITAOF (Redis >= 7.2), read per call since the server check that knows it runs after creation. */
  readonly waitAof: () => boolean;
}

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function createReplicationWaiter(options: ReplicationWaiterOptions): ReplicationWaiter {
  const { connection, replicas, timeoutMs } = options;
  let waiting: Waiting[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      const command = replicaWaitCommand(options.waitAof());
      try {
        const count = await waitForReplicas(connection, command, replicas, timeoutMs);
        if (count >= replicas) {
          for (const entry of batch) entry.resolve();
        } else {
          const error = notReplicated(count, replicas, timeoutMs, command);
          for (const entry of batch) entry.reject(error);
        }
      } catch (error) {
        const translated = translateRedisError(error);
        for (const entry of batch) entry.reject(translated);
      }
    }
    running = false;
  }

  return {
    confirm() {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!running) void drain();
      });
    },
  };
}

/**
 * Not acknowledged: the events are in the master (they will be delivered) but not yet as durable as promised,
 * so the caller is told to retry (503 / broker redelivery; the event id de-duplicates the second copy).
 */
function notReplicated(count: number, wanted: number, timeoutMs: number, command: ReplicaWaitCommand): HookyardError {
  const what =
    command === "WAITAOF"
      ? "fsynced to their AOF (WAITAOF; a replica with appendonly no never counts, one with appendfsync everysec " +
        "needs up to ~1 s: set appendfsync always on the replicas or ackReplicaTimeout above 1s)"
      : "acknowledged (WAIT)";
  return new HookyardError(
    "REDIS_NOT_REPLICATED",
    `only ${count} of ${wanted} redis replica(s) ${what} within ${timeoutMs} ms (ackDurability replicated)`,
    { retryable: true, details: { acknowledged: count, wanted, command } },
  );
}
