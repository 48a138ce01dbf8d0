import type { ConnectorDefinition } from "@hookyard/core";

/** The connectors that ship with Hookyard, by `type`. Any other type is loaded as an npm package by its name. */
export const builtInConnectors: readonly ConnectorDefinition[] = [];
