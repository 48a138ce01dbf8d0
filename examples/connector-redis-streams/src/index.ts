import type { ConnectorDefinition } from "@hookyard/core";
import { Redis } from "ioredis";
import { type RedisStreamsSinkConfig, type RedisStreamsSourceConfig, sinkSchema, sourceSchema } from "./config.js";
import { createRedisStreamsSink } from "./sink.js";
import { createRedisStreamsSource } from "./source.js";

export type { RedisStreamsSinkConfig, RedisStreamsSourceConfig } from "./config.js";
export { createRedisStreamsSink } from "./sink.js";
export { createRedisStreamsSource } from "./source.js";

/**
 * The export Hookyard looks for: `type` is informational for packages (configs name the package), `source` and
 * `sink` each bring a convict schema, an optional health check and a factory.
 */
export const connector: ConnectorDefinition<RedisStreamsSourceConfig, RedisStreamsSinkConfig> = {
  type: "hookyard-connector-redis-streams",
  source: {
    schema: sourceSchema,
    async check(config) {
      const redis = new Redis(config.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const groups = (await redis.xinfo("GROUPS", config.stream).catch(() => [])) as unknown[][];
        const names = groups.map((group) => String(group[1]));
        if (!config.createGroup && !names.includes(config.group)) {
          throw new Error(`stream ${config.stream} has no consumer group ${config.group} (set createGroup: true)`);
        }
      } finally {
        redis.disconnect();
      }
    },
    create: createRedisStreamsSource,
  },
  sink: {
    schema: sinkSchema,
    create: (config) => createRedisStreamsSink(config),
  },
};
