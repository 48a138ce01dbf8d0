import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type LogFormatChoice = "json" | "pretty" | "auto";

/** Cloud Logging's `severity` for each pino level (GCP reads `severity`, not `level`). */
const SEVERITY: Readonly<Record<string, string>> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/**
 * Where secrets could sit in a logged object. The first line of defence is never logging them (requests are
 * logged without headers or query strings, configs through redactConfig); this is the second.
 */
export const LOG_REDACT_PATHS = [
  "secret",
  "secrets",
  "apiKey",
  "apiKeys",
  "password",
  "token",
  "*.secret",
  "*.secrets",
  "*.apiKey",
  "*.apiKeys",
  "*.password",
  "*.token",
  "headers.authorization",
  "headers.cookie",
  'headers["x-api-key"]',
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["x-api-key"]',
];

/**
 * JSON logs by default, pretty when on a terminal (or when asked). A JSON line reads without mapping in Loki,
 * Google Cloud Logging and Datadog: `level` as a name ("info"), `severity` as Cloud Logging's ("INFO"), `time` as
 * an ISO 8601 timestamp, the text in `message`, then the context fields. Secrets are redacted by path.
 */
export function createLogger(options: {
  level: string;
  format: LogFormatChoice;
  stream?: NodeJS.WritableStream;
}): Logger {
  const destination = options.stream ?? process.stdout;
  const usePretty =
    options.format === "pretty" || (options.format === "auto" && (destination as { isTTY?: boolean }).isTTY === true);
  const settings = {
    level: options.level,
    base: { service: "hookyard" },
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label, severity: SEVERITY[label] ?? "DEFAULT" }),
    },
    redact: { paths: LOG_REDACT_PATHS, censor: "[redacted]" },
  };
  if (usePretty) {
    return pino(
      settings,
      pretty({
        destination,
        colorize: true,
        messageKey: "message",
        translateTime: "HH:MM:ss.l",
        ignore: "pid,hostname,service,severity",
        sync: true,
      }),
    );
  }
  return pino(settings, destination);
}
