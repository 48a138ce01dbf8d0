import { formatDuration, formatSize } from "@hookyard/core";
import type { Schema } from "convict";
import { schemaLeaves } from "./schema-walk.js";

/**
 * The config as `hookyard validate` prints it: in the file's own keys (`shutdownGrace`, `timeout`, `schedule`, not
 * the typed config's `shutdownGraceMs` …), every default filled in, durations and sizes in the units people write
 * (30s, 1mb). Collected while the loader validates, section by section.
 */
export interface ShownConfig {
  runtime: Record<string, unknown>;
  readonly endpoints: unknown[];
  readonly subscriptions: unknown[];
  readonly sources: unknown[];
  readonly sinks: unknown[];
  readonly operatorEndpoints: unknown[];
}

export function createShownConfig(): ShownConfig {
  return { runtime: {}, endpoints: [], subscriptions: [], sources: [], sinks: [], operatorEndpoints: [] };
}

/** One validated section with its duration and size keys written back as "30s" / "1mb". */
export function displaySection(schema: Schema<unknown>, value: unknown): Record<string, unknown> {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const leaf of schemaLeaves(schema)) {
    const unit =
      leaf.spec.format === "duration" ? formatDuration : leaf.spec.format === "size" ? formatSize : undefined;
    if (unit === undefined) continue;
    let holder: unknown = copy;
    for (const segment of leaf.segments.slice(0, -1))
      holder = (holder as Record<string, unknown> | undefined)?.[segment];
    if (holder === null || typeof holder !== "object") continue;
    const key = leaf.segments[leaf.segments.length - 1] as string;
    const member = (holder as Record<string, unknown>)[key];
    if (typeof member === "number") (holder as Record<string, unknown>)[key] = unit(member);
  }
  return copy;
}

/** The whole shown config, in the order of the reference. */
export function shownConfig(shown: ShownConfig, routes: readonly unknown[]): Record<string, unknown> {
  const { ingress: _ingress, operator, ...runtime } = shown.runtime;
  return {
    ...runtime,
    operator: { ...(operator as Record<string, unknown>), endpoints: shown.operatorEndpoints },
    endpoints: shown.endpoints,
    subscriptions: shown.subscriptions,
    sources: shown.sources,
    sinks: shown.sinks,
    ingress: { routes },
  };
}
