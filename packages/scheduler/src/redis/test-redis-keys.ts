import { Cluster } from "ioredis";
import type { RedisClient } from "./connection.js";

/**
 * Deletes every key matching `pattern` (a SCAN MATCH pattern) on standalone Redis or on every Cluster master: what
 * the tests use to clean up a store's prefix, or a whole run's prefixes. Keys go one command each, pipelined per
 * page, so keys of different slots (several shards) never make a CROSSSLOT error.
 */
export async function deleteKeysMatching(client: RedisClient, pattern: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", pattern, "COUNT", 10_000);
      cursor = next;
      if (found.length > 0) {
        const pipeline = node.pipeline();
        for (const key of found) pipeline.del(key);
        await pipeline.exec();
      }
    } while (cursor !== "0");
  }
}
