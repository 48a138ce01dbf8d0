export type { ConnectorDefinition, Context, Deliver, Side, Sink, Source } from "./connector.js";
export type {
  BreakerPolicy,
  Endpoint,
  EndpointPolicy,
  RateLimitPolicy,
  RetryPolicy,
  SigningSecret,
} from "./endpoint.js";
export { DEFAULT_BREAKER_POLICY, DEFAULT_ENDPOINT_POLICY, DEFAULT_RETRY_POLICY } from "./endpoint.js";
export type { Envelope, EnvelopeInput } from "./envelope.js";
export { createEnvelope } from "./envelope.js";
export { decodeEnvelope, encodeEnvelope } from "./envelope-codec.js";
export { configError, connectionError, HookyardError, isRetryable, permanentError } from "./errors.js";
export type { AttemptErrorClass, AttemptRecord, DeliveryOutcome } from "./outcome.js";
