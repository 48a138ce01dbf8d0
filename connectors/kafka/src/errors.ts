import { configError, connectionError, HookyardError, permanentError } from "@hookyard/core";

/** The fields kafkajs errors carry (its error classes are not exported to ESM, so they are matched by name). */
interface KafkaJsErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly type?: string;
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

const AUTH_TYPES = new Set([
  "SASL_AUTHENTICATION_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
]);

function innermost(error: KafkaJsErrorLike): KafkaJsErrorLike {
  let current = error;
  for (let depth = 0; depth < 8 && current.cause !== null && typeof current.cause === "object"; depth += 1) {
    current = current.cause as KafkaJsErrorLike;
  }
  return current;
}

/**
 * Translates a kafkajs error into Hookyard's family: credentials and authorization problems are config errors
 * (never retryable, clearly worded), unknown topics say so, connection trouble is retryable, too-large messages are
 * permanent; anything else keeps kafkajs's own `retriable` verdict.
 */
export function translateKafkaError(error: unknown, what: string): HookyardError {
  if (error instanceof HookyardError) return error;
  const outer = (error ?? {}) as KafkaJsErrorLike;
  const inner = innermost(outer);
  const message = inner.message ?? outer.message ?? String(error);
  const type = inner.type ?? outer.type;
  if (outer.name === "KafkaJSSASLAuthenticationError" || inner.name === "KafkaJSSASLAuthenticationError") {
    return withCause(configError(`${what}: Kafka rejected the SASL credentials (${message})`), error);
  }
  if (type !== undefined && AUTH_TYPES.has(type)) {
    return withCause(configError(`${what}: Kafka refused access (${type}): check the credentials and ACLs`), error);
  }
  if (type === "UNKNOWN_TOPIC_OR_PARTITION") {
    return new HookyardError("RESOURCE_NOT_FOUND", `${what}: the topic does not exist (${message})`, {
      retryable: true,
      cause: error,
    });
  }
  if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") {
    return permanentError(`${what}: the message is larger than the broker accepts (${message})`, error);
  }
  const name = outer.name ?? "";
  if (
    name === "KafkaJSConnectionError" ||
    name === "KafkaJSConnectionClosedError" ||
    name === "KafkaJSNumberOfRetriesExceeded" ||
    name === "KafkaJSBrokerNotFound" ||
    name === "KafkaJSNoBrokerAvailableError" ||
    name === "KafkaJSRequestTimeoutError" ||
    name === "KafkaJSLockTimeout"
  ) {
    return connectionError(`${what}: cannot reach Kafka (${message})`, error);
  }
  return new HookyardError("KAFKA_ERROR", `${what}: ${message}`, {
    retryable: inner.retriable ?? outer.retriable ?? true,
    cause: error,
  });
}

function withCause(error: HookyardError, cause: unknown): HookyardError {
  return new HookyardError(error.code, error.message, {
    retryable: error.retryable,
    cause,
    details: { ...error.details },
  });
}
