export type { Clock, ManualClock } from "./clock.js";
export { createManualClock, systemClock } from "./clock.js";
export type { EmbeddedStoreOptions } from "./embedded/embedded-store.js";
export { createEmbeddedStore } from "./embedded/embedded-store.js";
export type { HistoryHandoff, HistoryHandoffObserver, HistoryHandoffOptions } from "./handoff/history-handoff.js";
export { createHistoryHandoff, DEFAULT_HANDOFF_LINGER_MS } from "./handoff/history-handoff.js";
export type { SchedulerLogger } from "./logger.js";
export { completionFor } from "./policy/completion-for.js";
export type { RetryDecision } from "./policy/next-retry.js";
export { nextRetry } from "./policy/next-retry.js";
export type { ClusterConnection, RedisClient, RedisConnection } from "./redis/connection.js";
export type { AckDurability, AckDurabilityMode } from "./redis/durability.js";
export type { RedisKeys } from "./redis/keys.js";
export type { RedisClock } from "./redis/redis-clock.js";
export type { RedisSchedulerStore, RedisStoreOptions } from "./redis/redis-store.js";
export { createRedisStore } from "./redis/redis-store.js";
export type { ReshardOptions, ReshardReport } from "./redis/reshard.js";
export { reshardRedisStore } from "./redis/reshard.js";
export type { SchedulerEvent, SchedulerEventKind, SchedulerEventListener } from "./scheduler-events.js";
export type {
  BreakerState,
  ClaimedDelivery,
  ClaimRequest,
  ClaimResult,
  CompleteReport,
  CompletionResult,
  DeliveryInfo,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatus,
  DeliverySummary,
  EndpointState,
  EnqueueRequest,
  EnqueueResult,
  LeaseRef,
  OutboxStats,
  RejectedMessage,
  RequeueRequest,
  SchedulerStats,
  SchedulerStore,
  SettledEntry,
  SettledRecord,
  StoreOutboxOptions,
  TakeSettledRequest,
} from "./store.js";
export {
  DEFAULT_OUTBOX_MAX_RECORDS,
  MAX_ATTEMPTS_LOGGED,
  MAX_DELIVERY_PAGE,
  REJECTED_KEPT_PER_ORIGIN,
  REJECTED_RETENTION_MS,
} from "./store.js";
export type { RunOnceReport, SendDelivery, Worker, WorkerObserver, WorkerOptions } from "./worker.js";
export { createWorker } from "./worker.js";
