import { describedFormat } from "@hookyard/core";

/** Formats of this connector's keys (core's describedFormat: the runtime words errors and docs from them). */
const isText = (value: unknown): value is string => typeof value === "string" && value.trim().length > 0;

export const nonEmptyString = describedFormat("a non-empty string", isText);

export const optionalString = describedFormat("a non-empty string or null", (value) => value === null || isText(value));

/** "host:port" (an IPv4 literal is best for local emulators). */
export const optionalHostPort = describedFormat(
  'a "host:port" address or null',
  (value) => value === null || (typeof value === "string" && /^[^\s:/]+:\d{1,5}$/.test(value)),
);

export function integerBetween(min: number, max: number): ReturnType<typeof describedFormat> {
  return describedFormat(
    `a whole number from ${min} to ${max}`,
    (value) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
    "number",
  );
}
