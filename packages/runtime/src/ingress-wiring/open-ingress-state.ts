import { createMemoryDedup, createMemoryLimiter, type DedupStore, type RateLimiter } from "@hookyard/ingress";
import { Cluster, Redis } from "ioredis";
import type { RedisSettings } from "../config/types.js";
import { createRedisIngressState } from "./redis-ingress-state.js";

export interface IngressState {
  readonly dedup: DedupStore;
  readonly limiter: RateLimiter;
  close(): Promise<void>;
}

/**
 * Ingress de-duplication and rate limits: shared through Redis by every instance, or in memory on the embedded
 * store. Its own Redis connection without an offline queue, so a Redis outage answers 503 at once instead of
 * holding the provider's request.
 */
export async function openIngressState(settings: RedisSettings): Promise<IngressState> {
  if (settings.mode === "embedded") {
    return { dedup: createMemoryDedup(), limiter: createMemoryLimiter(), close: async () => undefined };
  }
  const client =
    settings.mode === "standalone"
      ? new Redis(settings.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          commandTimeout: 5000,
        })
      : new Cluster(
          settings.nodes.map((node) => ({ host: node.host, port: node.port })),
          {
            lazyConnect: true,
            enableOfflineQueue: false,
            redisOptions: {
              maxRetriesPerRequest: 1,
              commandTimeout: 5000,
              ...(settings.username === undefined ? {} : { username: settings.username }),
              ...(settings.password === undefined ? {} : { password: settings.password }),
              ...(settings.tls ? { tls: {} } : {}),
            },
          },
        );
  client.on("error", () => undefined); // reconnects by itself; failing calls answer 503 meanwhile
  const close = async () => void client.disconnect();
  try {
    // Connected before the routes open: no offline queue, so a request must not find it still connecting.
    await client.connect();
  } catch (error) {
    await close();
    throw error;
  }
  return { ...createRedisIngressState(client, settings.prefix), close };
}
