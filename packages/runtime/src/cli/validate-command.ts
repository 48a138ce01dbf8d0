import { stringify } from "yaml";
import { redactConfig } from "../config/redact-config.js";
import { type CommandContext, configPath, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/** `hookyard validate -c FILE`: every problem at once on stderr (exit 78), or the config with secrets redacted. */
export async function validateCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const config = await loadCommandConfig(context, file);
  const shown = redactConfig(config);
  context.stdout.write(`${file}: valid\n`);
  if (context.values.quiet !== true) context.stdout.write(stringify(shown));
  return EXIT.ok;
}
