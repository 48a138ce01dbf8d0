import { Redis } from "ioredis";

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
