export type { ApiErrorBody } from "./api-error.js";
export { keyId } from "./auth/admin-keys.js";
export type { PortalClaims, PortalScope, PortalTokens } from "./auth/portal-token.js";
export { createPortalTokens, PORTAL_SCOPES, PORTAL_TOKEN_PREFIX } from "./auth/portal-token.js";
export type { Principal } from "./auth/principal.js";
export type { EventType, JsonSchema, PayloadValidation, StoredEventType } from "./catalogue/event-type.js";
export { EVENT_TYPE_NAME, PAYLOAD_VALIDATIONS } from "./catalogue/event-type.js";
export type { PayloadProblem, PayloadValidator } from "./catalogue/payload-validator.js";
export { createPayloadValidator } from "./catalogue/payload-validator.js";
export type { SchemaCompiler, SchemaProblem } from "./catalogue/schema-compiler.js";
export { createSchemaCompiler, jsonPathOf } from "./catalogue/schema-compiler.js";
export type { ConfigControl, ConfigReloadReport, LoadedConfig } from "./config-control.js";
export type { AdminDependencies, AdminLogger, AdminSettings, PortalBranding } from "./deps.js";
export { openApiDocument } from "./openapi.js";
export type { AdminRoutes } from "./register-admin-routes.js";
export { registerAdminRoutes } from "./register-admin-routes.js";
export type { ReplayJobs, ReplayRequest } from "./replay/replay-jobs.js";
export type { AdminStorage } from "./state/admin-storage.js";
export { ENDPOINT_DELETED_REASON, endpointDeleted } from "./state/deleted-endpoint.js";
export type {
  ConfigConflict,
  ConfigRecords,
  EndpointRegistry,
  EndpointRegistryOptions,
  ManagedEndpoint,
  ManagedEventType,
  ManagedSubscription,
} from "./state/endpoint-registry.js";
export { createEndpointRegistry } from "./state/endpoint-registry.js";
export { createMemoryAdminStorage } from "./state/memory-admin-storage.js";
export type {
  AdminSubscription,
  AuditEntry,
  ReplayJob,
  ReplayJobState,
  StoredEndpoint,
  StoredSubscription,
} from "./state/records.js";
export type { RedisAdminStorageOptions } from "./state/redis-admin-storage.js";
export { createRedisAdminStorage } from "./state/redis-admin-storage.js";
