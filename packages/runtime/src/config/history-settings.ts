import type { ProblemCollector } from "./collect-problems.js";
import { postgresUrlFormat } from "./formats.js";
import type { RuntimeSettings } from "./schema.js";
import type { HistorySettings } from "./types.js";

/** The environment variable that gives history.postgres.url when the file leaves it unset. */
export const HISTORY_POSTGRES_URL_ENV = "HOOKYARD_HISTORY_POSTGRES_URL";
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

/**
 * Where delivery history lives, as a named mode: PostgreSQL when a URL is given (in the file, or else in the
 * environment), memory otherwise. Retentions shorter than an hour are refused: history is kept by whole days.
 */
export function historySettings(
  history: RuntimeSettings["history"],
  env: Readonly<Record<string, string | undefined>>,
  problems: ProblemCollector,
): HistorySettings {
  for (const key of ["retention", "deadLetterRetention"] as const) {
    if (history[key] < HOUR) problems.add(["history", key], "a duration of at least 1h", `${history[key]} ms`);
  }
  // Longer would only hold settled records back from the history lists; a backlog never waits for it anyway.
  if (history.handoffLinger > MINUTE) {
    problems.add(["history", "handoffLinger"], "a duration of at most 1m", `${history.handoffLinger} ms`);
  }
  const retention = {
    retentionMs: history.retention,
    deadLetterRetentionMs: history.deadLetterRetention,
    outboxMaxRecords: history.outboxMaxRecords,
    handoffLingerMs: history.handoffLinger,
  };
  let url = history.postgres.url;
  const fromEnv = env[HISTORY_POSTGRES_URL_ENV];
  if (url === null && fromEnv !== undefined && fromEnv !== "") {
    if (isPostgresUrl(fromEnv)) url = fromEnv;
    else
      problems.add(
        ["history", "postgres", "url"],
        `a postgres:// URL in $${HISTORY_POSTGRES_URL_ENV}`,
        "another value",
      );
  }
  if (url === null) {
    return {
      kind: "memory",
      ...retention,
      maxDelivered: history.memory.maxDelivered,
      maxDeadLetters: history.memory.maxDeadLetters,
    };
  }
  return {
    kind: "postgres",
    postgres: {
      url,
      schema: history.postgres.schema,
      poolSize: history.postgres.poolSize,
      statementTimeoutMs: history.postgres.statementTimeout,
    },
    ...retention,
  };
}

function isPostgresUrl(value: string): boolean {
  try {
    postgresUrlFormat(value);
    return true;
  } catch {
    return false;
  }
}
