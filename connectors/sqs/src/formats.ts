/**
 * Convict formats that say in words what they accept: the runtime's config errors and docs/config.md read the
 * `expected` text (and `kind`, so strings from `${VAR}` are converted before the check).
 */
export interface DescribedFormat {
  (value: unknown): void;
  readonly expected: string;
  readonly kind?: "number" | "boolean";
}

function describedFormat(expected: string, check: (value: unknown) => boolean, kind?: "number"): DescribedFormat {
  const format = (value: unknown): void => {
    if (!check(value)) throw new Error(expected);
  };
  return Object.assign(format, kind === undefined ? { expected } : { expected, kind });
}

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

export function integerBetween(min: number, max: number): DescribedFormat {
  return describedFormat(
    `a whole number from ${min} to ${max}`,
    (value) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
    "number",
  );
}
