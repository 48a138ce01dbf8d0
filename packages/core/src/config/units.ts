/**
 * Durations and sizes as people write them in config files: "500ms", "5s", "2h", "1.5d"; "64kb", "1mb".
 * Plain numbers are milliseconds and bytes. Units are decimal-free multiples (kb = 1024 bytes).
 */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i;

function parseQuantity(value: unknown, units: Readonly<Record<string, number>>, bare: string): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value);
  if (match === null) return undefined;
  const unit = (match[2] ?? bare).toLowerCase();
  const factor = units[unit];
  if (factor === undefined) return undefined;
  return Math.round(Number(match[1]) * factor);
}

/** Milliseconds, or undefined when `value` is neither a non-negative number nor a duration string. */
export function parseDuration(value: unknown): number | undefined {
  return parseQuantity(value, DURATION_UNITS, "ms");
}

/** Bytes, or undefined when `value` is neither a non-negative number nor a size string. */
export function parseSize(value: unknown): number | undefined {
  return parseQuantity(value, SIZE_UNITS, "b");
}

/** The shortest exact spelling: 300000 → "5m", 1500 → "1500ms". Used by the generated docs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const factor = DURATION_UNITS[unit] ?? 1;
    if (ms !== 0 && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

export function formatSize(bytes: number): string {
  for (const unit of ["gb", "mb", "kb"] as const) {
    const factor = SIZE_UNITS[unit] ?? 1;
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}b`;
}
