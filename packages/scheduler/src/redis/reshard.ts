import { HookyardError } from "@hookyard/core";
import { Cluster, type Redis } from "ioredis";
import { closeClient, openClient, type RedisConnection, whenReady } from "./connection.js";
import { createRedisKeys, metaKey } from "./keys.js";
import { createRedisStore } from "./redis-store.js";
import { storedShardCount } from "./shard-count.js";
import { shardOf } from "./shard-of.js";

export interface ReshardOptions {
  readonly redis: RedisConnection;
  readonly prefix?: string;
  /** The new shard count. */
  readonly shards: number;
}

export interface ReshardReport {
  /** The count the data had (undefined: no data yet). */
  readonly from: number | undefined;
  readonly to: number;
  readonly changed: boolean;
  /** De-duplication records carried over to the new layout (with their remaining TTL). */
  readonly dedupKeys: number;
  /** Endpoints disabled at runtime (410, failing, operator) in the old layout: enabled again in the new one. */
  readonly runtimeDisabled: readonly string[];
}

/**
 * `hookyard reshard`: switches drained scheduler data to another shard count. Every instance must be stopped.
 * Refuses (CONFIG_INVALID) while the old layout holds queued or leased deliveries or outbox records — queues
 * are not moved between shards: drain first (stop intake, let the workers finish, let the history hand-off
 * empty the outboxes). Carries the de-duplication records over (so a producer's redelivery within the dedup
 * TTL is still recognised), then records the new count. Endpoint runtime state (breaker, runtime disable) is
 * not carried: the report lists the endpoints that were disabled at runtime.
 */
export async function reshardRedisStore(options: ReshardOptions): Promise<ReshardReport> {
  const prefix = options.prefix ?? "hy";
  const to = options.shards;
  const { client, owned } = openClient(options.redis, 10_000);
  try {
    await whenReady(client, 5000);
    const from = await storedShardCount(client, prefix);
    if (from === undefined || from === to) {
      await client.hset(metaKey(prefix), "shards", to);
      return { from, to, changed: false, dedupKeys: 0, runtimeDisabled: [] };
    }
    const old = createRedisStore({ redis: client, prefix, shards: from });
    const stats = await old.stats();
    await old.close();
    const busy = stats.endpoints.filter((e) => e.queued > 0 || e.inFlight > 0);
    if (busy.length > 0 || stats.outbox.records > 0) {
      const queued = busy.reduce((sum, e) => sum + e.queued, 0);
      const inFlight = busy.reduce((sum, e) => sum + e.inFlight, 0);
      throw new HookyardError(
        "CONFIG_INVALID",
        `cannot reshard prefix "${prefix}" from ${from} to ${to} shards: not drained (${queued} queued and ` +
          `${inFlight} in flight on ${busy.length} endpoint(s), e.g. ${busy
            .slice(0, 5)
            .map((e) => e.endpointId)
            .join(", ")}; ${stats.outbox.records} outbox record(s) not yet in the history store). Stop ` +
          "intake, let the workers and the history hand-off finish (re-enable or drop parked deliveries of " +
          "disabled endpoints), then stop every instance and run reshard again",
        { details: { queued, inFlight, outbox: stats.outbox.records } },
      );
    }
    const dedupKeys = await carryDedupKeys(client, prefix, from, to);
    await client.hset(metaKey(prefix), "shards", to);
    const runtimeDisabled = stats.endpoints
      .filter((e) => !e.enabled && e.disabledReason !== "disabled in config")
      .map((e) => e.endpointId);
    return { from, to, changed: true, dedupKeys, runtimeDisabled };
  } finally {
    if (owned) await closeClient(client);
  }
}

/** Copies every live dedup record of the old layout to the shard of its key in the new one. */
async function carryDedupKeys(client: Redis | Cluster, prefix: string, from: number, to: number): Promise<number> {
  const oldBases = new Set(
    Array.from({ length: from }, (_, index) => createRedisKeys(prefix, { index, count: from }).base),
  );
  const nodes: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
  let carried = 0;
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", `{${prefix}*dedup:*`, "COUNT", 10_000);
      cursor = next;
      for (const key of found) {
        const base = key.slice(0, key.indexOf("}:") + 2);
        if (!oldBases.has(base) || !key.startsWith(`${base}dedup:`)) continue;
        const dedupKey = key.slice(base.length + "dedup:".length);
        const [value, ttl] = await Promise.all([node.get(key), node.pttl(key)]);
        if (value === null || ttl <= 0) continue;
        const target = createRedisKeys(prefix, { index: shardOf(dedupKey, to), count: to }).dedup(dedupKey);
        await client.set(target, withoutParts(value), "PX", ttl);
        carried += 1;
      }
    } while (cursor !== "0");
  }
  return carried;
}

/**
 * The record without the endpoint list a sharded first result keeps: in the new layout no part of the old
 * message exists to complete, so a duplicate must only return the first result.
 */
function withoutParts(value: string): string {
  const sep = value.indexOf("|");
  const { messageId, deliveryIds } = JSON.parse(value.slice(sep + 1)) as { messageId: string; deliveryIds: string[] };
  return `${value.slice(0, sep)}|${JSON.stringify({ messageId, deliveryIds })}`;
}
