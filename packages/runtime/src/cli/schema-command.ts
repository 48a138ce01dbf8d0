import { configJsonSchema } from "../config/json-schema.js";
import { loadBuiltInConnectors } from "../connectors/builtin-connectors.js";
import type { CommandContext } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard schema`: the JSON Schema of a config file, from the same convict schemas `validate` uses, for editors:
 * `hookyard schema > hookyard.schema.json`, then `# yaml-language-server: $schema=./hookyard.schema.json` at the
 * top of the YAML file.
 */
export async function schemaCommand(context: CommandContext): Promise<number> {
  context.stdout.write(`${JSON.stringify(configJsonSchema(await loadBuiltInConnectors()), null, 2)}\n`);
  return EXIT.ok;
}
