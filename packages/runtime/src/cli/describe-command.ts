import { HookyardError } from "@hookyard/core";
import { renderConfigReference, renderConnectorReference } from "../config/render-reference.js";
import { loadBuiltInConnectors } from "../connectors/builtin-connectors.js";
import { type CommandContext, UsageError } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard describe`: the whole config reference (runtime keys and built-in connectors), generated from the
 * schemas; `hookyard describe CONNECTOR`: one connector's keys (a built-in name or an installed npm package).
 * An unknown name is a usage error (64), with the closest built-in name when there is one.
 */
export async function describeCommand(context: CommandContext): Promise<number> {
  const [type, ...extra] = context.positionals;
  if (extra.length > 0) throw new UsageError(`one connector at a time, got ${context.positionals.length}`);
  if (type === undefined) {
    context.stdout.write(renderConfigReference(await loadBuiltInConnectors()));
    return EXIT.ok;
  }
  try {
    context.stdout.write(renderConnectorReference(await context.registry.resolve(type)));
  } catch (error) {
    if (error instanceof HookyardError && error.code === "CONNECTOR_NOT_FOUND") throw new UsageError(error.message);
    throw error;
  }
  return EXIT.ok;
}
