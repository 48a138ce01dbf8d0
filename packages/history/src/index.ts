export type {
  DeliveryPage,
  DeliverySummary,
  HistoryAttempt,
  HistoryBatch,
  HistoryDelivery,
  HistoryMaintenance,
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
