import { HookyardError } from "../errors.js";

/**
 * A filter (or glob, or mapping) spec that cannot be compiled. `where` is the config key holding it, `at` the
 * position inside it; the message reads like every other config error: `<where>.<at>: expected …, found …`.
 */
export function specError(where: string, at: string, expected: string, found: string): HookyardError {
  const path = at === "" || at.startsWith("[") || where === "" ? `${where}${at}` : `${where}.${at}`;
  return new HookyardError("CONFIG_INVALID", `${path}: expected ${expected}, found ${found}`, {
    details: { where, at, expected, found },
  });
}
