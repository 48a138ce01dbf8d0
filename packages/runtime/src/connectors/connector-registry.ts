import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ConnectorDefinition, HookyardError } from "@hookyard/core";
import { suggest } from "../config/suggest.js";
import type { BuiltInConnector } from "./builtin-connectors.js";

/**
 * Finds connector definitions by `type`: a built-in name first (its package imported on first use, so only the
 * brokers a config names are loaded), otherwise an npm package name imported at start-up whose module exports
 * `connector` (a ConnectorDefinition). Everything is resolved before anything starts, so a missing or malformed
 * package is a config error, not a crash at the first message.
 */
export interface ConnectorRegistry {
  readonly builtins: readonly string[];
  resolve(type: string): Promise<ConnectorDefinition>;
}

export function createConnectorRegistry(
  builtins: readonly BuiltInConnector[],
  options: { searchFrom?: string } = {},
): ConnectorRegistry {
  const byType = new Map(builtins.map((builtin) => [builtin.type, builtin]));
  const loaded = new Map<string, Promise<ConnectorDefinition>>();
  const searchFrom = options.searchFrom ?? process.cwd();
  return {
    builtins: [...byType.keys()].sort(),
    resolve(type) {
      let pending = loaded.get(type);
      if (!pending) {
        const builtin = byType.get(type);
        pending = builtin ? builtin.load() : importConnector(type, searchFrom, [...byType.keys()]);
        loaded.set(type, pending);
      }
      return pending;
    },
  };
}

async function importConnector(type: string, searchFrom: string, builtins: string[]): Promise<ConnectorDefinition> {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(type)) {
    throw new HookyardError(
      "CONNECTOR_NOT_FOUND",
      `connector type ${JSON.stringify(type)} is neither built in (${builtins.join(", ") || "none"}) nor an npm package name`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(type)) as Record<string, unknown>;
  } catch (firstError) {
    // Not reachable from Hookyard's own node_modules: try the folder Hookyard runs in (a derived image or a
    // project that installed the package beside its config).
    try {
      const resolved = createRequire(join(searchFrom, "package.json")).resolve(type);
      module = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch {
      throw notFound(type, builtins, firstError);
    }
  }
  return checkConnectorDefinition(module.connector, type);
}

/**
 * Never suggests `npm install <type>`: a mistyped built-in name (`kafak`) may well be some unrelated package on
 * the registry. A close built-in name is suggested instead.
 */
function notFound(type: string, builtins: readonly string[], error: unknown): HookyardError {
  const hint = suggest(type, builtins);
  const missing = (error as { code?: unknown } | null)?.code === "ERR_MODULE_NOT_FOUND";
  const why = missing ? "no installed package of that name" : `its package could not be loaded (${describe(error)})`;
  return new HookyardError(
    "CONNECTOR_NOT_FOUND",
    `connector type ${JSON.stringify(type)} is not built in (${builtins.join(", ") || "none"}) and ${why}` +
      (hint === undefined
        ? "; a custom connector is an npm package exporting `connector`, installed next to Hookyard"
        : `; did you mean ${JSON.stringify(hint)}?`),
    { cause: error },
  );
}

/** Checks an imported value against the connector contract, naming the first thing that is wrong. */
export function checkConnectorDefinition(value: unknown, packageName: string): ConnectorDefinition {
  const problem = findProblem(value);
  if (problem) {
    throw new HookyardError(
      "CONNECTOR_INVALID",
      `package ${JSON.stringify(packageName)} does not export a valid Hookyard connector as \`connector\`: ${problem}`,
    );
  }
  return value as ConnectorDefinition;
}

function findProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "the export `connector` is missing or not an object";
  const definition = value as Record<string, unknown>;
  if (typeof definition.type !== "string" || definition.type === "") return "`type` must be a non-empty string";
  if (definition.source === undefined && definition.sink === undefined) return "it has neither `source` nor `sink`";
  for (const side of ["source", "sink"] as const) {
    const candidate = definition[side];
    if (candidate === undefined) continue;
    if (typeof candidate !== "object" || candidate === null) return `\`${side}\` must be an object`;
    const { schema, create, check } = candidate as Record<string, unknown>;
    if (typeof schema !== "object" || schema === null) return `\`${side}.schema\` must be a convict schema object`;
    if (typeof create !== "function") return `\`${side}.create\` must be a function`;
    if (check !== undefined && typeof check !== "function") return `\`${side}.check\` must be a function`;
    const { validate } = candidate as Record<string, unknown>;
    if (validate !== undefined && typeof validate !== "function") return `\`${side}.validate\` must be a function`;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
}
