import { appendIndex, appendKey, REDACTED } from "@hookyard/core";
import type { HookyardConfig } from "./types.js";

/**
 * The config as the file's author knows it (`config.shown`: the file's own keys, defaults filled in) with every
 * secret replaced by "[redacted]" (lists of secrets item by item), for `hookyard validate` and logs. Which keys are
 * secrets comes from the schemas (`sensitive: true`), the verifiers and credential-looking header names, recorded
 * at load time in `config.sensitivePaths` as the key paths error messages use, so they apply to it directly.
 */
export function redactConfig(config: HookyardConfig): Record<string, unknown> {
  return redact(config.shown, "", new Set(config.sensitivePaths)) as Record<string, unknown>;
}

function redact(value: unknown, path: string, sensitive: ReadonlySet<string>): unknown {
  if (path !== "" && sensitive.has(path)) return hide(value);
  if (Array.isArray(value)) return value.map((item, index) => redact(item, appendIndex(path, index), sensitive));
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) result[key] = redact(member, appendKey(path, key), sensitive);
    return result;
  }
  return value;
}

function hide(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map(hide);
  if (typeof value === "object") return Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]));
  return REDACTED;
}
