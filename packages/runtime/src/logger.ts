import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type LogFormatChoice = "json" | "pretty" | "auto";

/**
 * JSON logs by default, pretty when on a terminal (or when asked). Secrets are redacted by path as a second line
 * of defence; the first is never logging them.
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
    redact: {
      paths: [
        "secret",
        "secrets",
        "apiKey",
        "apiKeys",
        "password",
        "*.secret",
        "*.secrets",
        "*.password",
        "headers.authorization",
      ],
      censor: "[redacted]",
    },
  };
  if (usePretty) {
    return pino(
      settings,
      pretty({ destination, colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service", sync: true }),
    );
  }
  return pino(settings, destination);
}
