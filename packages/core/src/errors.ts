import { ERROR_CODES, type ErrorCode } from "./error-codes.js";

/**
 * Hookyard's one error family. `code` is one of ERROR_CODES (scripts and tests match on it, docs/errors.md says
 * what each means); `retryable` says whether the same operation may succeed later (a broker that is down) or
 * never will (a malformed message, a bad config), by default the code's. Drivers' errors are translated into this
 * family at each connector's edge.
 */
export class HookyardError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HookyardError";
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code]?.retryable === true;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** A configuration problem: never retryable, reported before anything starts. */
export function configError(message: string, details: Record<string, unknown> = {}): HookyardError {
  return new HookyardError("CONFIG_INVALID", message, { details });
}

/** A broker, Redis or network connection problem: retryable. */
export function connectionError(message: string, cause?: unknown): HookyardError {
  return new HookyardError("CONNECTION_FAILED", message, { retryable: true, cause });
}

/** A message that can never be processed (undecodable, too large, failing its mapping): dead-letter it. */
export function permanentError(message: string, cause?: unknown): HookyardError {
  return new HookyardError("MESSAGE_REJECTED", message, { retryable: false, cause });
}

/** A broker resource the config names is missing; `details` says which, so one code covers every broker. */
export function resourceNotFound(
  message: string,
  resource: { broker: string; kind: string; name?: string },
  options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
): HookyardError {
  return new HookyardError("RESOURCE_NOT_FOUND", message, {
    ...options,
    details: { ...options.details, ...resource },
  });
}

/** Whether an unknown thrown value should be retried. Unknown errors are treated as transient. */
export function isRetryable(error: unknown): boolean {
  return error instanceof HookyardError ? error.retryable : true;
}
