import { HookyardError, resourceNotFound } from "@hookyard/core";

/** gRPC status codes the Pub/Sub API answers with. */
const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const TRANSIENT: ReadonlySet<number> = new Set([
  GRPC.CANCELLED,
  GRPC.UNKNOWN,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.ABORTED,
  GRPC.INTERNAL,
  GRPC.UNAVAILABLE,
]);

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return grpcCode(error) === GRPC.NOT_FOUND;
}

export function isAlreadyExists(error: unknown): boolean {
  return grpcCode(error) === GRPC.ALREADY_EXISTS;
}

/**
 * Translates a Pub/Sub client error into Hookyard's family. `what` names the resource, e.g.
 * `subscription projects/p/subscriptions/s`. Transient gRPC codes are retryable connection errors; missing
 * resources, bad requests and credential problems are not.
 */
export function translatePubSubError(error: unknown, what: string): HookyardError {
  if (error instanceof HookyardError) return error;
  const code = grpcCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const details = { grpcCode: code ?? null };
  if (code === GRPC.NOT_FOUND) {
    // `what` is "<kind> <name>", e.g. "subscription projects/p/subscriptions/s".
    const [kind = "resource", ...name] = what.split(" ");
    return resourceNotFound(
      `pubsub ${what} does not exist (${detail})`,
      { broker: "pubsub", kind, name: name.join(" ") },
      { cause: error, details },
    );
  }
  if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNAUTHENTICATED) {
    return new HookyardError(
      "PUBSUB_AUTH_FAILED",
      `pubsub refused access to ${what}: check the credentials and their IAM roles (${detail})`,
      { cause: error, details },
    );
  }
  if (code === GRPC.INVALID_ARGUMENT || code === GRPC.FAILED_PRECONDITION || code === GRPC.ALREADY_EXISTS) {
    return new HookyardError("PUBSUB_REJECTED", `pubsub rejected the request for ${what} (${detail})`, {
      cause: error,
      details,
    });
  }
  if (code === undefined || TRANSIENT.has(code)) {
    return new HookyardError("CONNECTION_FAILED", `pubsub is unreachable or failing for ${what} (${detail})`, {
      retryable: true,
      cause: error,
      details,
    });
  }
  return new HookyardError("PUBSUB_FAILED", `pubsub failed for ${what} (${detail})`, { cause: error, details });
}
