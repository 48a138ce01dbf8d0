import { loadConfig } from "../config/load-config.js";
import type { HookyardConfig } from "../config/types.js";
import type { ConnectorRegistry } from "../connectors/connector-registry.js";

/** What every command gets: its arguments, the environment, where to write, and the connector registry. */
export interface CommandContext {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly registry: ConnectorRegistry;
}

export class UsageError extends Error {}

export function configPath(context: CommandContext): string {
  const file = context.values.config ?? context.env.HOOKYARD_CONFIG;
  if (typeof file !== "string" || file === "") throw new UsageError("a config file is required: -c FILE");
  return file;
}

/** Loads a config file (the command's -c by default) with the command's environment and connector registry. */
export function loadCommandConfig(context: CommandContext, file = configPath(context)): Promise<HookyardConfig> {
  return loadConfig(file, { env: context.env, resolveConnector: (type) => context.registry.resolve(type) });
}
