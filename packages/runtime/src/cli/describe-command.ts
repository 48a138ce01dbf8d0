import { renderConfigReference, renderConnectorReference } from "../config/render-reference.js";
import { builtInConnectors } from "../connectors/builtin-connectors.js";
import type { CommandContext } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard describe`: the whole config reference (runtime keys and built-in connectors), generated from the
 * schemas; `hookyard describe CONNECTOR`: one connector's keys (a built-in name or an npm package name).
 */
export async function describeCommand(context: CommandContext): Promise<number> {
  const [type] = context.positionals;
  if (type === undefined) {
    context.stdout.write(renderConfigReference(builtInConnectors));
    return EXIT.ok;
  }
  const connector = await context.registry.resolve(type);
  context.stdout.write(renderConnectorReference(connector));
  return EXIT.ok;
}
