export type { Clock, ManualClock } from "./clock.js";
export { createManualClock, systemClock } from "./clock.js";
export type { EmbeddedStoreOptions } from "./embedded/embedded-store.js";
export { createEmbeddedStore } from "./embedded/embedded-store.js";
export type { SchedulerLogger } from "./logger.js";
export { completionFor } from "./policy/completion-for.js";
export type { RetryDecision } from "./policy/next-retry.js";
export { nextRetry } from "./policy/next-retry.js";
export type { RedisClient, RedisConnection } from "./redis/connection.js";
export type { AckDurability, AckDurabilityMode } from "./redis/durability.js";
export type { RedisKeys } from "./redis/keys.js";
export type { RedisSchedulerStore, RedisStoreOptions } from "./redis/redis-store.js";
export { createRedisStore } from "./redis/redis-store.js";
export type {
  BreakerState,
  ClaimedDelivery,
  ClaimRequest,
  ClaimResult,
  CompletionResult,
  DeliveryInfo,
  DeliveryLogStore,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatus,
  DeliverySummary,
  EndpointState,
  EnqueueRequest,
  EnqueueResult,
  RejectedMessage,
  SchedulerStats,
  SchedulerStore,
  StoreRetentionOptions,
} from "./store.js";
export {
  DEFAULT_DEAD_LETTER_RETENTION_MS,
  DEFAULT_RETENTION_MS,
  DELIVERY_QUERY_SCAN_LIMIT,
  MAX_ATTEMPTS_LOGGED,
  MAX_DELIVERY_PAGE,
  REJECTED_KEPT_PER_ORIGIN,
} from "./store.js";
export type { RunOnceReport, SendDelivery, Worker, WorkerObserver, WorkerOptions } from "./worker.js";
export { createWorker } from "./worker.js";
