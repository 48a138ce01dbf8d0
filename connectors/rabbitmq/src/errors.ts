import { configError, connectionError, HookyardError, resourceNotFound } from "@hookyard/core";

interface AmqpErrorLike {
  readonly message?: string;
  readonly code?: number | string;
}

/**
 * Translates an amqplib error: refused credentials, a missing vhost and access refusals are config errors (never
 * retryable); a missing queue or exchange says so; sockets closed, refused or timed out are retryable connection
 * errors.
 */
export function translateAmqpError(error: unknown, what: string): HookyardError {
  if (error instanceof HookyardError) return error;
  const { message = String(error), code } = (error ?? {}) as AmqpErrorLike;
  if (code === 403 || /ACCESS[-_]REFUSED/.test(message)) {
    return new HookyardError(
      "CONFIG_INVALID",
      `${what}: RabbitMQ refused access (check the user name, password and permissions): ${message}`,
      { cause: error },
    );
  }
  if (code === 530 || /NOT[-_]ALLOWED/.test(message)) {
    return new HookyardError(
      "CONFIG_INVALID",
      `${what}: RabbitMQ does not allow this (is the vhost right?): ${message}`,
      { cause: error },
    );
  }
  if (code === 404 || /NOT[-_]FOUND/.test(message)) {
    return resourceNotFound(
      `${what}: ${message}`,
      { broker: "rabbitmq", kind: "queue or exchange" },
      { retryable: true, cause: error },
    );
  }
  if (code === 406 || /PRECONDITION[-_]FAILED/.test(message)) {
    return withCause(
      configError(`${what}: the broker's existing declaration differs from the config: ${message}`),
      error,
    );
  }
  return connectionError(`${what}: ${message}`, error);
}

function withCause(error: HookyardError, cause: unknown): HookyardError {
  return new HookyardError(error.code, error.message, { retryable: error.retryable, cause });
}
