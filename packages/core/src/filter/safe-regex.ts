import { describeValue } from "../config/describe-value.js";
import { specError } from "./filter-error.js";

export const MAX_REGEX_LENGTH = 256;
const ALLOWED_FLAGS = /^[imsu]*$/;
// A quantified group that itself contains a quantifier, e.g. (a+)+ or (\w*)*: the classic catastrophic
// backtracking shape. A heuristic, not a proof; it keeps the obvious traps out of config files.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,?\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,?\d*\})/;

/**
 * Compiles a `$regex` operand: a pattern string or `{ pattern, flags }`. Flags i, m, s, u only (no g/y: they make
 * `test` stateful). Patterns are capped in length and nested quantifiers are refused.
 */
export function compileSafeRegex(spec: unknown, where: string, at: string): RegExp {
  let pattern: unknown = spec;
  let flags: unknown = "";
  if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
    const keys = Object.keys(spec);
    const unknownKey = keys.find((key) => key !== "pattern" && key !== "flags");
    if (unknownKey !== undefined) {
      throw specError(where, at, "a regex as a string or { pattern, flags }", `the key ${JSON.stringify(unknownKey)}`);
    }
    pattern = (spec as { pattern?: unknown }).pattern;
    flags = (spec as { flags?: unknown }).flags ?? "";
  }
  if (typeof pattern !== "string") {
    throw specError(where, at, "a regex pattern string", describeValue(pattern));
  }
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw specError(where, at, `a regex of at most ${MAX_REGEX_LENGTH} characters`, `${pattern.length} characters`);
  }
  if (typeof flags !== "string" || !ALLOWED_FLAGS.test(flags)) {
    throw specError(where, at, "regex flags among i, m, s, u", describeValue(flags));
  }
  if (NESTED_QUANTIFIER.test(pattern)) {
    throw specError(
      where,
      at,
      "a regex without nested quantifiers (they can take exponential time)",
      JSON.stringify(pattern),
    );
  }
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw specError(where, at, "a valid regex", `${JSON.stringify(pattern)} (${(error as Error).message})`);
  }
}
