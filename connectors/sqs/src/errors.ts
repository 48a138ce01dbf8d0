import { HookyardError, resourceNotFound } from "@hookyard/core";

const MISSING_QUEUE = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue"]);
const AUTH = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "AccessDeniedException",
  "InvalidSecurity",
  "ExpiredToken",
  "MissingAuthenticationToken",
  "CredentialsProviderError",
]);
const THROTTLING = new Set(["RequestThrottled", "ThrottlingException", "OverLimit", "KmsThrottled"]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function errorName(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  return e.name ?? e.code ?? "Error";
}

export function isQueueMissing(error: unknown): boolean {
  return MISSING_QUEUE.has(errorName(error));
}

/**
 * Translates an SDK error into Hookyard's family. `what` names the queue. Network failures, throttling and 5xx
 * are retryable connection errors; a missing queue, refused credentials and invalid requests are not.
 */
export function translateSqsError(error: unknown, what: string): HookyardError {
  if (error instanceof HookyardError) return error;
  const e = (error ?? {}) as SdkError;
  const name = errorName(error);
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}: ${e.message ?? String(error)}`;
  const details = { awsError: name, httpStatus: status ?? null };
  if (MISSING_QUEUE.has(name)) {
    return resourceNotFound(
      `sqs ${what} does not exist (${detail})`,
      { broker: "sqs", kind: "queue", name: what.replace(/^queue /, "") },
      { cause: error, details },
    );
  }
  if (AUTH.has(name) || status === 401 || status === 403) {
    return new HookyardError(
      "SQS_AUTH_FAILED",
      `sqs refused the credentials for ${what}: check the access key, secret and IAM policy (${detail})`,
      { cause: error, details },
    );
  }
  if (THROTTLING.has(name) || e.$retryable !== undefined || status === undefined || status >= 500) {
    return new HookyardError("CONNECTION_FAILED", `sqs is unreachable or failing for ${what} (${detail})`, {
      retryable: true,
      cause: error,
      details,
    });
  }
  return new HookyardError("SQS_REJECTED", `sqs rejected the request for ${what} (${detail})`, {
    cause: error,
    details,
  });
}
