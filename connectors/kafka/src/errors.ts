import { configError, connectionError, HookyardError, permanentError } from "@hookyard/core";

/**
 * The fields @platformatic/kafka's errors carry: `code` (PLT_KFK_*), and on broker errors `apiId` (Kafka's error
 * name, e.g. MESSAGE_TOO_LARGE) and `canRetry`. Errors nest: `errors` (one per broker or per retry) and `cause`.
 * They are matched by shape so only client.ts imports the driver.
 */
interface DriverErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly apiId?: string;
  readonly canRetry?: boolean;
  readonly errors?: readonly unknown[];
  readonly cause?: unknown;
}

const AUTH_IDS = new Set([
  "SASL_AUTHENTICATION_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
]);
const TOO_LARGE_IDS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Every error in the tree (the error itself, its `errors` and `cause`s), breadth first, bounded. */
function flatten(error: unknown): DriverErrorLike[] {
  const all: DriverErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && all.length < 64) {
    const next = queue.shift();
    if (next === null || typeof next !== "object") continue;
    const node = next as DriverErrorLike;
    all.push(node);
    if (Array.isArray(node.errors)) queue.push(...node.errors);
    if (node.cause !== undefined) queue.push(node.cause);
  }
  return all;
}

/** The broker's error name anywhere in the tree (e.g. "MESSAGE_TOO_LARGE"), for callers that react to one. */
export function kafkaErrorIds(error: unknown): Set<string> {
  return new Set(flatten(error).flatMap((node) => (typeof node.apiId === "string" ? [node.apiId] : [])));
}

/** True when the broker refused a request because a record batch was over its size limit. */
export function isTooLargeError(error: unknown): boolean {
  for (const id of kafkaErrorIds(error)) if (TOO_LARGE_IDS.has(id)) return true;
  return false;
}

/**
 * Translates a driver error into Hookyard's family: credentials and authorization problems are config errors
 * (never retryable, clearly worded), unknown topics say so, connection trouble and timeouts are retryable,
 * too-large messages are permanent; anything else keeps the driver's own `canRetry` verdict (retryable if unsaid).
 */
export function translateKafkaError(error: unknown, what: string): HookyardError {
  if (error instanceof HookyardError) return error;
  const nodes = flatten(error);
  const outer = nodes[0] ?? {};
  const ids = kafkaErrorIds(error);
  const detail = describe(nodes, String(error));
  if (nodes.some((node) => node.code === "PLT_KFK_AUTHENTICATION") || ids.has("SASL_AUTHENTICATION_FAILED")) {
    return withCause(configError(`${what}: Kafka rejected the SASL credentials (${detail})`), error);
  }
  const denied = [...ids].find((id) => AUTH_IDS.has(id));
  if (denied !== undefined) {
    return withCause(configError(`${what}: Kafka refused access (${denied}): check the credentials and ACLs`), error);
  }
  // The driver reports a topic missing from the metadata as its own error, "Unknown topic <name>.".
  const unknownTopic = nodes.some((node) => node.code === "PLT_KFK_USER" && /^Unknown topic /.test(node.message ?? ""));
  if (unknownTopic || ids.has("UNKNOWN_TOPIC_OR_PARTITION") || ids.has("UNKNOWN_TOPIC_ID")) {
    return new HookyardError("RESOURCE_NOT_FOUND", `${what}: the topic does not exist (${detail})`, {
      retryable: true,
      cause: error,
    });
  }
  if (isTooLargeError(error)) {
    return permanentError(`${what}: the message is larger than the broker accepts (${detail})`, error);
  }
  if (nodes.some((node) => node.code === "PLT_KFK_NETWORK" || isSocketError(node))) {
    return connectionError(`${what}: cannot reach Kafka (${detail})`, error);
  }
  const verdicts = nodes.flatMap((node) => (typeof node.canRetry === "boolean" ? [node.canRetry] : []));
  return new HookyardError("KAFKA_ERROR", `${what}: ${outer.message ?? detail}`, {
    retryable: verdicts.length === 0 || verdicts.some((canRetry) => canRetry),
    cause: error,
  });
}

function isSocketError(node: DriverErrorLike): boolean {
  return typeof node.code === "string" && /^(ECONN|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|EAI_)/.test(node.code);
}

/** The innermost messages (most specific first), e.g. "Connection refused (ECONNREFUSED 127.0.0.1:1)". */
function describe(nodes: readonly DriverErrorLike[], fallback: string): string {
  const leaves = nodes.filter((node) => !(Array.isArray(node.errors) && node.errors.length > 0) && !node.cause);
  const texts = [...new Set((leaves.length > 0 ? leaves : nodes).map((node) => node.message).filter(Boolean))];
  return texts.slice(0, 3).join("; ") || fallback;
}

function withCause(error: HookyardError, cause: unknown): HookyardError {
  return new HookyardError(error.code, error.message, {
    retryable: error.retryable,
    cause,
    details: { ...error.details },
  });
}
