import { describedFormat } from "@hookyard/core";

/** Formats of this connector's keys (core's describedFormat: the runtime words errors and docs from them). */
const isText = (value: unknown): value is string => typeof value === "string" && value.trim().length > 0;

export const nonEmptyString = describedFormat("a non-empty string", isText);

export const optionalString = describedFormat("a non-empty string or null", (value) => value === null || isText(value));

export const optionalHttpUrl = describedFormat("an http(s) URL or null", (value) => {
  if (value === null) return true;
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
});

export function integerBetween(min: number, max: number): ReturnType<typeof describedFormat> {
  return describedFormat(
    `a whole number from ${min} to ${max}`,
    (value) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
    "number",
  );
}
