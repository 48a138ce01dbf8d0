/*
 * Convict formats that say in words what they accept: the config loader's error messages and docs/config.md read
 * `expected` (and `kind`, so strings from `${VAR}` are converted before the check; `item`, so a list's error names
 * the bad item). Shared by the runtime, ingress and connector schemas.
 */
/** A convict format function that says, for docs and errors, what it accepts. */
export interface DescribedFormat {
  (value: unknown): void;
  readonly expected: string;
  /** Scalar kind, so strings from `${VAR}` are converted before the check. */
  readonly kind?: "number" | "boolean";
  /** For lists: what one item must be, and which item is wrong, so errors point at it. */
  readonly item?: { readonly expected: string; badIndex(value: unknown): number | undefined };
}

/** Builds a format: `check` returns true when the value is acceptable; otherwise `expected` is the error. */
export function describedFormat(
  expected: string,
  check: (value: unknown) => boolean,
  kind?: "number" | "boolean",
): DescribedFormat {
  const format = (value: unknown): void => {
    if (!check(value)) throw new Error(expected);
  };
  return Object.assign(format, kind === undefined ? { expected } : { expected, kind });
}

/** A list format whose errors name the bad item (`egress.allowCidrs[1]`) rather than the whole list. */
export function describedListFormat(
  expected: string,
  item: { readonly expected: string; readonly check: (value: unknown) => boolean },
  limits: { readonly min?: number; readonly max?: number } = {},
): DescribedFormat {
  const min = limits.min ?? 0;
  const max = limits.max ?? 1000;
  const badIndex = (value: unknown): number | undefined => {
    if (!Array.isArray(value)) return undefined;
    const index = value.findIndex((member) => !item.check(member));
    return index === -1 ? undefined : index;
  };
  const format = (value: unknown): void => {
    if (!Array.isArray(value) || value.length < min || value.length > max || badIndex(value) !== undefined) {
      throw new Error(expected);
    }
  };
  return Object.assign(format, { expected, item: { expected: item.expected, badIndex } });
}
