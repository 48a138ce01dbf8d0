import type { Endpoint } from "@hookyard/core";
import {
  type Clock,
  createEmbeddedStore,
  createRedisStore,
  type RedisSchedulerStore,
  type SchedulerStore,
} from "@hookyard/scheduler";
import type { Logger } from "pino";
import type { HookyardConfig } from "../config/types.js";
import { clusterConnection } from "./cluster-connection.js";

/**
 * The scheduler store a gateway runs on, tagged with its kind so companions (admin storage, ingress state, the
 * durability check) pick their own implementation by name rather than by probing the store's fields.
 */
export type GatewayStore =
  | { readonly kind: "memory"; readonly store: SchedulerStore }
  | { readonly kind: "redis"; readonly store: RedisSchedulerStore };

/** Opens the store the config names: Redis (standalone or cluster) or the embedded, in-process one. */
export function openGatewayStore(config: HookyardConfig, logger: Logger, localClock: Clock): GatewayStore {
  const settings = config.redis;
  if (settings.mode === "embedded") {
    logger.warn(
      "EMBEDDED STORE: queued deliveries live in this process's memory and are LOST when it stops. " +
        "For trying Hookyard only; set redis.url in the config for anything that matters.",
    );
    return {
      kind: "memory",
      store: createEmbeddedStore({ outboxMaxRecords: config.history.outboxMaxRecords, localClock }),
    };
  }
  const redis = settings.mode === "standalone" ? settings.url : clusterConnection(settings);
  const store = createRedisStore({
    redis,
    prefix: settings.prefix,
    shards: settings.shards,
    logger: logger.child({ component: "store" }),
    durability: settings.ack,
    unverifiedConfig: settings.unverifiedConfig,
    outboxMaxRecords: config.history.outboxMaxRecords,
    localClock,
  });
  return { kind: "redis", store };
}

/**
 * Checks Redis before anything is accepted — refusing (CONFIG_INVALID, exit 78) settings that would lose
 * acknowledged events, warning about weaker ones — then registers every endpoint the scheduler must know.
 */
export async function prepareGatewayStore(
  opened: GatewayStore,
  endpoints: readonly Endpoint[],
  logger: Logger,
): Promise<void> {
  if (opened.kind === "redis") {
    for (const warning of await opened.store.checkServer()) logger.warn({ warning }, "redis settings");
    await opened.store.clock.sync();
  }
  await opened.store.syncEndpoints(endpoints);
}
