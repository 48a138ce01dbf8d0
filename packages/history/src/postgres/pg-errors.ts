import { HookyardError } from "@hookyard/core";

// SQLSTATE classes and codes after which the same statement may succeed: connection exceptions (08), operator
// intervention (57: admin shutdown, crash shutdown, cannot connect now, query canceled), insufficient resources
// (53), transaction rollbacks (40: serialization, deadlock), lock not available (55P03), and "no partition for
// the row" (23514 on a partitioned insert: a partition dropped or not yet made; the store re-checks its days).
const RETRYABLE_CLASSES = new Set(["08", "53", "57", "40", "58"]);
const RETRYABLE_CODES = new Set(["55P03", "55006"]);
const NODE_NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

/** A driver error as Hookyard's error family: HISTORY_UNAVAILABLE (retryable) or HISTORY_FAILED (not). */
export function historyError(action: string, error: unknown): HookyardError {
  if (error instanceof HookyardError) return error;
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = error instanceof Error ? error.message : String(error);
  const retryable =
    RETRYABLE_CLASSES.has(code.slice(0, 2)) ||
    RETRYABLE_CODES.has(code) ||
    NODE_NETWORK.has(code) ||
    // pg's own errors when the server goes away or the pool cannot connect in time carry no code.
    (code === "" && /terminat|timeout|connect|Connection|closed/i.test(message));
  return new HookyardError(
    retryable ? "HISTORY_UNAVAILABLE" : "HISTORY_FAILED",
    `history store (PostgreSQL) could not ${action}: ${message}`,
    { retryable, cause: error, details: code === "" ? {} : { sqlstate: code } },
  );
}
