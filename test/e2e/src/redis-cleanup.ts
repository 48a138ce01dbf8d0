import { Cluster, Redis } from "ioredis";

/** Removes every key a Hookyard run with this `redis.prefix` wrote (`{prefix}:…`), so the shared Redis stays small. */
export async function deleteHookyardKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const stream = redis.scanStream({ match: `{${prefix}}:*`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

/** The same on a Redis Cluster: every master, sharded keys (`{prefix:i}:…`) included. */
export async function deleteHookyardClusterKeys(
  nodes: readonly { host: string; port: number }[],
  prefix: string,
): Promise<void> {
  const cluster = new Cluster([...nodes]);
  try {
    await cluster.ping(); // connected: the slot map names the masters
    for (const master of cluster.nodes("master")) {
      for (const match of [`{${prefix}}:*`, `{${prefix}:*`]) {
        const stream = master.scanStream({ match, count: 1000 });
        for await (const keys of stream as AsyncIterable<string[]>) {
          // One UNLINK per key (pipelined): a page's keys span slots, and a multi-key command may not.
          const pipeline = master.pipeline();
          for (const key of keys) pipeline.unlink(key);
          await pipeline.exec();
        }
      }
    }
  } finally {
    cluster.disconnect();
  }
}
