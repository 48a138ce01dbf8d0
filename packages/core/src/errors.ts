/**
 * Hookyard's one error family. `code` is stable (scripts and tests match on it); `retryable` says whether the
 * same operation may succeed later (a broker that is down) or never will (a malformed message, a bad config).
 * Drivers' errors are translated into this family at each connector's edge.
 */
export class HookyardError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HookyardError";
    this.code = code;
    this.retryable = options.retryable ?? false;
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

/** Whether an unknown thrown value should be retried. Unknown errors are treated as transient. */
export function isRetryable(error: unknown): boolean {
  return error instanceof HookyardError ? error.retryable : true;
}
