const MAX_SHOWN = 60;

/**
 * How a value is shown after "found" in a config error: strings quoted and truncated, objects by kind only.
 * Callers pass `sensitive: true` for secrets so only the kind is shown, never the value.
 */
export function describeValue(value: unknown, options: { sensitive?: boolean } = {}): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  if (options.sensitive === true) return `a ${typeof value} (value hidden)`;
  switch (typeof value) {
    case "string": {
      const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
      return JSON.stringify(shown);
    }
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
