/** A double-quoted SQL identifier (schema names come from the config). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Text PostgreSQL accepts: it refuses NUL in `text` values, so a NUL becomes U+FFFD. */
export function pgText(value: string): string {
  return value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
}

/** `ms` since the epoch as SQL: exact integer arithmetic, no float rounding. */
export const MS_TO_TIMESTAMPTZ = (param: string) => `(timestamptz 'epoch' + ${param} * interval '1 millisecond')`;
export const TIMESTAMPTZ_TO_MS = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;
