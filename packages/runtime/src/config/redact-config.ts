import { appendIndex, appendKey, REDACTED } from "@hookyard/core";
import type { HookyardConfig } from "./types.js";

/**
 * A plain copy of the config with every secret replaced by "[redacted]" (lists of secrets item by item), for
 * `hookyard validate` and logs. Which keys are secrets comes from the schemas (`sensitive: true`) and from
 * credential-looking header names, recorded at load time in `config.sensitivePaths`; secrets keep their key
 * names in the typed config, so those paths apply to it directly.
 */
export function redactConfig(config: HookyardConfig): Record<string, unknown> {
  const { sensitivePaths, ingress, ...rest } = config;
  const shown = redact(rest, "", new Set(sensitivePaths)) as Record<string, unknown>;
  // Compiled routes hold live verifiers (keys inside): shown as what they do, never as objects.
  shown.ingress = {
    routes: ingress.routes.map((route) => ({
      id: route.id,
      path: route.path,
      enabled: route.enabled,
      verifier: route.verifierType,
      limits: route.limits,
      dedup: route.dedup,
      rules: route.rules.length,
      defaultTargets: route.defaultTargets,
    })),
  };
  return shown;
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
