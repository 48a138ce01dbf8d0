export { backoffDelay, sleep, withTimeout } from "./backoff.js";
export { describeValue } from "./config/describe-value.js";
export type { DescribedFormat } from "./config/described-format.js";
export { describedFormat, describedListFormat } from "./config/described-format.js";
export type { ConfigFormatName } from "./config/formats.js";
export { CONFIG_FORMATS, registerConfigFormats } from "./config/formats.js";
export { appendIndex, appendKey } from "./config/key-path.js";
export { formatDuration, formatSize, parseDuration, parseSize } from "./config/units.js";
export type {
  ConnectorConfigProblem,
  ConnectorDefinition,
  Context,
  Deliver,
  Side,
  Sink,
  Source,
  SourceContext,
} from "./connector.js";
export type { DeliveryPage, DeliveryQuery, DeliveryStatus, DeliverySummary } from "./delivery-log.js";
export type {
  BreakerPolicy,
  Endpoint,
  EndpointPolicy,
  PayloadFormat,
  RateLimitPolicy,
  RetryPolicy,
  SigningSecret,
} from "./endpoint.js";
export { DEFAULT_BREAKER_POLICY, DEFAULT_ENDPOINT_POLICY, DEFAULT_RETRY_POLICY } from "./endpoint.js";
export type { Envelope, EnvelopeInput } from "./envelope.js";
export { createEnvelope, withTraceContext } from "./envelope.js";
export { decodeEnvelope, encodeEnvelope } from "./envelope-codec.js";
export type { ApiErrorCode, ApiErrorCodeInfo, ErrorCode, ErrorCodeInfo } from "./error-codes.js";
export { API_ERROR_CODES, ERROR_CODES } from "./error-codes.js";
export {
  configError,
  connectionError,
  HookyardError,
  isRetryable,
  permanentError,
  resourceNotFound,
} from "./errors.js";
export type { Filter, FilterSpec } from "./filter/compile-filter.js";
export { compileFilter } from "./filter/compile-filter.js";
export type { TypePattern } from "./filter/glob.js";
export { compileTypePattern } from "./filter/glob.js";
export type { CompiledPath } from "./filter/path.js";
export { compilePath, firstValueAt, someValueAt } from "./filter/path.js";
export type { KeyLanes } from "./key-lanes.js";
export { createKeyLanes } from "./key-lanes.js";
export type { EnvelopeMapping, EnvelopeMappingSpec } from "./mapping/compile-envelope-mapping.js";
export { compileEnvelopeMapping } from "./mapping/compile-envelope-mapping.js";
export type { BrokerValue, SourceMessage, ValueSource, ValueSpec } from "./mapping/value-source.js";
export type { AttemptErrorClass, AttemptRecord, DeliveryOutcome } from "./outcome.js";
export type { BatchItem, PublishInBatchesOptions } from "./publish-in-batches.js";
export { batchItems, chunksOf, publishInBatches } from "./publish-in-batches.js";
export { isSafeHeaderValue } from "./security/header-value.js";
export type { RedactOptions } from "./security/redact-headers.js";
export { isCredentialHeader, REDACTED, redactHeaders } from "./security/redact-headers.js";
export { createSecretCheck, presentedApiKey, secretDigest } from "./security/secret-check.js";
export type { FailedSinkItem } from "./sink-failure.js";
export { failedSinkItem, messageTooLarge, sinkPartialFailure } from "./sink-failure.js";
export type { SinkLimits } from "./sink-limits.js";
export { payloadAndHeadersSize, sinkLimitsOf, sinkSizeOf, UNDECLARED_SINK_LIMITS } from "./sink-limits.js";
export { parentContextOf, traceContextOfSpan } from "./tracing/span-links.js";
export type { ParsedTraceparent, TraceContext } from "./tracing/trace-context.js";
export {
  formatTraceparent,
  isUsableTracestate,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  traceContextOf,
} from "./tracing/trace-context.js";
