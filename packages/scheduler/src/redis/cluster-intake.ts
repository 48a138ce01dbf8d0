import type { Cluster, Redis } from "ioredis";
import type { SchedulerLogger } from "../logger.js";
import { closeClient, whenReady } from "./connection.js";
import { redisUnavailable, translateRedisError } from "./redis-errors.js";
import { createReplicationWaiter, type ReplicationWaiter } from "./replication-waiter.js";
import { createScriptRunner } from "./script-runner.js";
import type { RedisCommand, RunScript, ScriptArg, ScriptName } from "./scripts.js";
import { clusterSlot } from "./shard-of.js";

/**
 * `ackDurability: replicated` on Redis Cluster. WAIT only covers the writes made on the connection it is sent
 * on, and a Cluster client sends a keyless command such as WAIT to any node; so the scripts whose effect is
 * acknowledged (enqueue, keep-rejected) run here, on a connection of their own to the master that serves their
 * keys' slot, and that same connection then WAITs. Callers that reach one master while its WAIT is in flight
 * share the next one: one WAIT per touched master per batch, whatever the number of events or shards.
 *
 * The call is sent to the master the slot map names and is not redirected: a MOVED or ASK (a failover or a slot
 * migration under way) refuses the events, retryably, and refreshes the slot map, so the producer's retry reaches
 * the master that now serves the slot and WAITs there. Leasing and settling keep using the shared client, which
 * follows redirects. Pass a client of the intake's own (`cluster.duplicate()`): WAIT blocks its connection.
 */
export interface ClusterIntake {
  /** Runs the script on the master serving `keys[0]`; resolves once `replicas` of its replicas hold the writes. */
  run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    before?: readonly RedisCommand[],
  ): Promise<unknown>;
  /** Whether every master has WAITAOF (Redis >= 7.2), as the start-up check found. */
  useWaitAof(available: boolean): void;
  close(): Promise<void>;
}

export interface ClusterIntakeOptions {
  readonly cluster: Cluster;
  readonly replicas: number;
  readonly timeoutMs: number;
  readonly connectWaitMs: number;
  readonly logger?: SchedulerLogger;
}

interface MasterIntake {
  readonly run: RunScript;
  readonly waiter: ReplicationWaiter;
}

export function createClusterIntake(options: ClusterIntakeOptions): ClusterIntake {
  const { cluster, replicas, timeoutMs } = options;
  // Per connection: ioredis replaces a master's connection after a failover; the new one gets its own.
  const masters = new WeakMap<Redis, MasterIntake>();
  let waitAof = false;

  function intakeOf(node: Redis): MasterIntake {
    let intake = masters.get(node);
    if (intake === undefined) {
      intake = {
        run: createScriptRunner(node, options.logger),
        waiter: createReplicationWaiter({ connection: node, replicas, timeoutMs, waitAof: () => waitAof }),
      };
      masters.set(node, intake);
    }
    return intake;
  }

  /** The connection to the master the slot map names for `key`'s slot. */
  function masterOf(key: string): Redis {
    const slot = clusterSlot(hashTagOf(key));
    const address = cluster.slots[slot]?.[0];
    const node = cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === address);
    if (node === undefined) {
      cluster.refreshSlotsCache();
      throw redisUnavailable(`no connection to the master of slot ${slot} (${address ?? "unknown"}) yet`);
    }
    return node;
  }

  return {
    async run(name, keys, args, before) {
      await whenReady(cluster, options.connectWaitMs);
      const node = masterOf(keys[0] ?? "");
      const intake = intakeOf(node);
      let reply: unknown;
      try {
        reply = await intake.run(name, keys, args, before);
      } catch (error) {
        const translated = translateRedisError(error);
        // A redirect, a cluster that is down, or a master gone: the slot map may be stale (ioredis would only
        // refresh it on its own schedule), so the producer's retry finds the right master sooner.
        if (translated.code === "REDIS_UNAVAILABLE") cluster.refreshSlotsCache();
        throw translated;
      }
      await intake.waiter.confirm();
      return reply;
    },
    useWaitAof(available) {
      waitAof = available;
    },
    close: () => closeClient(cluster),
  };
}

/** What Redis Cluster hashes for a key: the text of its first non-empty `{…}`, else the whole key. */
function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open < 0) return key;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
