import { HookyardError } from "@hookyard/core";
import type { RedisClient } from "./connection.js";
import { metaKey } from "./keys.js";

/**
 * The shard count the data under `prefix` was written with: `{<prefix>}:meta` field `shards`, or 1 for data from
 * before the count was recorded (its keys carry `{<prefix>}`), or undefined when there is no data at all.
 */
export async function storedShardCount(client: RedisClient, prefix: string): Promise<number | undefined> {
  const stored = await client.hget(metaKey(prefix), "shards");
  if (stored !== null) return Number(stored);
  return (await client.exists(`{${prefix}}:endpoints`)) === 1 ? 1 : undefined;
}

/**
 * Start-up check (`checkServer()`): records the configured shard count with the data, or refuses — with
 * `CONFIG_INVALID` (`hookyard start` exits 78) naming both counts — when the data was written with another one.
 * An endpoint's queue lives on the shard its id hashes to among N, so a different N would look for every queue
 * in the wrong place: queued deliveries would be stranded, not moved. Resharding is drain-and-switch
 * (`reshardRedisStore`, `hookyard reshard`).
 */
export async function checkShardCount(client: RedisClient, prefix: string, configured: number): Promise<void> {
  // Records the count (the configured one for new data, 1 for data from before it was recorded) unless set.
  const stored = await storedShardCount(client, prefix);
  await client.hsetnx(metaKey(prefix), "shards", stored ?? configured);
  const recorded = Number(await client.hget(metaKey(prefix), "shards"));
  if (recorded !== configured) throw shardCountMismatch(prefix, recorded, configured);
}

export function shardCountMismatch(prefix: string, stored: number, configured: number): HookyardError {
  return new HookyardError(
    "CONFIG_INVALID",
    `redis.shards is ${configured} but the scheduler data under prefix "${prefix}" was written with ${stored} ` +
      `shard(s) (key {${prefix}}:meta). Hookyard does not move queues between shards while running: set ` +
      `redis.shards back to ${stored}, or drain and switch: stop intake, wait until nothing is queued or in ` +
      `flight, stop every instance, run \`hookyard reshard -c FILE\` with redis.shards ${configured}, start ` +
      'again (docs/production.md, "Scaling out: scheduler shards")',
    { details: { setting: "redis.shards", value: configured, stored } },
  );
}
