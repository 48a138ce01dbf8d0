export type {
  DeliveryPage,
  DeliverySummary,
  HistoryAttempt,
  HistoryBatch,
  HistoryDelivery,
  HistoryMaintenance,
  HistoryOrder,
  HistoryPageRequest,
  HistoryQuery,
  HistoryRecordPage,
  HistoryRetentionOptions,
  HistoryStore,
  JsonValue,
  SettledDelivery,
  SettledStatus,
} from "./history-store.js";
export {
  DEFAULT_HISTORY_DEAD_LETTER_RETENTION_MS,
  DEFAULT_HISTORY_RETENTION_MS,
  MAX_HISTORY_PAGE,
} from "./history-store.js";
export type { MemoryHistoryOptions } from "./memory/memory-history-store.js";
export {
  createMemoryHistoryStore,
  DEFAULT_MEMORY_MAX_DEAD_LETTERS,
  DEFAULT_MEMORY_MAX_DELIVERED,
} from "./memory/memory-history-store.js";
export type { MigrationReport } from "./postgres/migrate.js";
export { migrate as migrateHistorySchema, shippedMigrations } from "./postgres/migrate.js";
export type { PostgresHistoryOptions } from "./postgres/postgres-history-store.js";
export {
  createPostgresHistoryStore,
  DEFAULT_HISTORY_POOL_SIZE,
  DEFAULT_HISTORY_SCHEMA,
} from "./postgres/postgres-history-store.js";
export { runHistoryMigrations } from "./postgres/run-migrations.js";
