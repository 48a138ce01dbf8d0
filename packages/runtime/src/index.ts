export { runCli } from "./cli.js";
export type { JsonSchema } from "./config/json-schema.js";
export { configJsonSchema } from "./config/json-schema.js";
export type { LoadConfigOptions, ResolveConnector } from "./config/load-config.js";
export { loadConfig, loadConfigText } from "./config/load-config.js";
export type { ConfigProblem } from "./config/problems.js";
export { ConfigValidationError } from "./config/problems.js";
export { redactConfig } from "./config/redact-config.js";
export {
  renderConfigReference,
  renderConnectorReference,
  renderVerifierReference,
} from "./config/render-reference.js";
export type { LogFormat, LogLevel } from "./config/schema.js";
export type { SamplerName, TelemetrySettings } from "./config/telemetry-settings.js";
export type { HookyardConfig, RedisSettings, SinkEntry, SourceEntry, Subscription } from "./config/types.js";
export { type BuiltInConnector, builtInConnectors, loadBuiltInConnectors } from "./connectors/builtin-connectors.js";
export type { ConnectorRegistry } from "./connectors/connector-registry.js";
export { checkConnectorDefinition, createConnectorRegistry } from "./connectors/connector-registry.js";
export type { DemoReceiver, ReceivedWebhook } from "./demo/demo-receiver.js";
export { startDemoReceiver } from "./demo/demo-receiver.js";
export { renderErrorReference } from "./errors-reference.js";
export type { Gateway, GatewayDependencies } from "./gateway/gateway.js";
export { startGateway } from "./gateway/gateway.js";
export { renderIngestReference } from "./ingest/ingest-reference.js";
export { createLogger } from "./logger.js";
export type { Metrics } from "./metrics.js";
export { createMetrics } from "./metrics.js";
export type { Router } from "./router/create-router.js";
export { createRouter } from "./router/create-router.js";
export type { Tracing } from "./telemetry/start-tracing.js";
export { startTracing } from "./telemetry/start-tracing.js";
