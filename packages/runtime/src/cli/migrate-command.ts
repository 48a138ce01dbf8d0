import { HookyardError } from "@hookyard/core";
import { runHistoryMigrations } from "@hookyard/history";
import { HISTORY_POSTGRES_URL_ENV } from "../config/history-settings.js";
import { type CommandContext, configPath, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard migrate -c FILE`: applies the history schema migrations shipped with this version to
 * history.postgres.url (start-up applies them too; this is for deploy jobs that migrate before rolling out).
 */
export async function migrateCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const config = await loadCommandConfig(context, file);
  if (config.history.kind !== "postgres") {
    context.stderr.write(
      `hookyard migrate: ${file}: history.postgres.url is not set (nor $${HISTORY_POSTGRES_URL_ENV}): ` +
        "history is kept in memory, there is nothing to migrate\n",
    );
    return EXIT.config;
  }
  const { schema } = config.history.postgres;
  try {
    const report = await runHistoryMigrations({ url: config.history.postgres.url, schema });
    context.stdout.write(
      report.applied.length === 0
        ? `history schema "${schema}": already at version ${report.version}\n`
        : `history schema "${schema}": applied ${report.applied.join(", ")}; now at version ${report.version}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof HookyardError) || !error.retryable) throw error;
    context.stderr.write(`hookyard migrate: ${error.code}: ${error.message}\n`);
    return EXIT.unavailable;
  }
}
