import { HookyardError } from "@hookyard/core";

/** Redis cannot be reached right now (disconnected, restarting, loading its data): retry after a back-off. */
export function redisUnavailable(message: string, cause?: unknown): HookyardError {
  return new HookyardError("REDIS_UNAVAILABLE", message, { retryable: true, cause });
}

// Replies that mean "the server is there but cannot serve yet", e.g. while it reloads its AOF after a restart.
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;

// maxmemory reached under `noeviction`: Redis refuses the scripts that add data (intake), not those that free it.
const OUT_OF_MEMORY_REPLY = /^OOM\b/;

/**
 * Redis is at maxmemory: intake is refused (ingest answers 503, a broker message is not acked) until leasing and
 * settling free memory. Retryable; the message says what to do.
 */
export function redisFull(reply: string, cause?: unknown): HookyardError {
  return new HookyardError(
    "REDIS_FULL",
    `redis is at maxmemory and refuses new events until queued deliveries drain (${reply}); ` +
      "raise maxmemory or add capacity if this lasts",
    { retryable: true, cause },
  );
}

/**
 * Translates what ioredis throws into the Hookyard error family: connection problems and transient replies
 * become a retryable REDIS_UNAVAILABLE; maxmemory a retryable REDIS_FULL; other error replies (a script bug, out of memory) REDIS_ERROR, retryable
 * too, since unknown failures are treated as transient and the worker backs off.
 */
export function translateRedisError(error: unknown): HookyardError {
  if (error instanceof HookyardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === "ReplyError") {
    if (OUT_OF_MEMORY_REPLY.test(message)) return redisFull(message, error);
    if (UNAVAILABLE_REPLY.test(message)) return redisUnavailable(`redis is not serving: ${message}`, error);
    return new HookyardError("REDIS_ERROR", `redis replied with an error: ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  return redisUnavailable(`redis is unavailable: ${message}`, error);
}
