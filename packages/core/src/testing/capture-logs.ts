// A pino logger for connector tests that keeps every line, to assert that problems are logged.
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: readonly { level: number; msg: string }[];
}

export function captureLogs(): CapturedLogs {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}
