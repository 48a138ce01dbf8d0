import type { Topic } from "@google-cloud/pubsub";
import { HookyardError, withTimeout } from "@hookyard/core";

/**
 * The client library's own `timeout` does not bound a call: between retries gax sleeps a random share of a delay
 * that grows to a minute, and looks at its deadline only after the sleep. Against an unreachable Pub/Sub a 3 s
 * publish took 3.5–6.6 s, sometimes 16 s or over 45 s. So every call the connector waits on also gets a deadline
 * of its own, which fails it as a retryable connection error.
 */
export function overdue(what: string, ms: number): HookyardError {
  return new HookyardError("CONNECTION_FAILED", `pubsub did not answer within ${ms} ms for ${what}`, {
    retryable: true,
    details: { deadlineMs: ms, overdue: true },
  });
}

/** Whether `error` is our own deadline passing (the client's call may still be running). */
export function isOverdue(error: unknown): boolean {
  return error instanceof HookyardError && error.details.overdue === true;
}

/** An admin call (metadata, create) bounded by `ms`; the client's errors pass through for the caller to read. */
export function adminCall<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(call, ms, () => overdue(what, ms));
}

/**
 * Publishes one message, failing it (retryable) when Pub/Sub has not answered within `ms`. The client's publish
 * goes on after that. With an ordering key the client keeps later messages of the key behind it (order is kept)
 * and, if it fails in the end, pauses the key: it is resumed then, so later sends of the key are not refused.
 * It is not resumed at our deadline: that would drop the key's queue while its publish is still in flight.
 */
export async function publishWithin(
  target: Topic,
  message: Parameters<Topic["publishMessage"]>[0],
  ms: number,
  what: string,
): Promise<void> {
  const publishing = target.publishMessage(message);
  try {
    await withTimeout(publishing, ms, () => overdue(what, ms));
  } catch (error) {
    const key = message.orderingKey;
    if (isOverdue(error) && typeof key === "string" && key !== "") {
      publishing.catch(() => target.resumePublishing(key));
    }
    throw error;
  }
}

/**
 * The gRPC codes the client retries a Publish on: its own default for the method less RESOURCE_EXHAUSTED, which is
 * also how a gRPC server refuses a request over its size: retried, that refusal only surfaced at the deadline,
 * hidden in the client's timeout error. Quota refusals come back to the sink as retryable; the runtime retries.
 */
const PUBLISH_RETRY_CODES = [1, 2, 4, 10, 13, 14];

/**
 * The client's call options for Publish: its defaults with `timeoutMs` as deadline, except that the sleep between
 * retries is capped at a quarter of the deadline (by default it grows to a minute). A publish that outlived our
 * own deadline then ends soon after it, so it neither holds its ordering key nor `stop()` for long.
 */
export function publishCallOptions(timeoutMs: number) {
  return {
    timeout: timeoutMs,
    retry: {
      retryCodes: PUBLISH_RETRY_CODES,
      backoffSettings: {
        initialRetryDelayMillis: 100,
        retryDelayMultiplier: 4,
        maxRetryDelayMillis: Math.max(100, Math.round(timeoutMs / 4)),
        initialRpcTimeoutMillis: timeoutMs,
        rpcTimeoutMultiplier: 1,
        maxRpcTimeoutMillis: timeoutMs,
        totalTimeoutMillis: timeoutMs,
      },
    },
  };
}
