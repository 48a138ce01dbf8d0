import { HookyardError } from "@hookyard/core";
import { createRedisStore } from "@hookyard/scheduler";
import { clusterConnection } from "../gateway/cluster-connection.js";
import { type CommandContext, configPath, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard storage-format -c FILE [--upgrade]`: prints the storage format of the scheduler's Redis data and the
 * newest this version writes; `--upgrade` moves the data to it. Run the upgrade once every instance runs this
 * version (an older one would misread the newer format); running instances follow with their next call.
 */
export async function storageFormatCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const config = await loadCommandConfig(context, file);
  const settings = config.redis;
  if (settings.mode === "embedded") {
    context.stderr.write(
      `hookyard storage-format: ${file}: redis.url and redis.cluster are unset: the embedded store keeps nothing\n`,
    );
    return EXIT.config;
  }
  const redis = settings.mode === "standalone" ? settings.url : clusterConnection(settings);
  const store = createRedisStore({ redis, prefix: settings.prefix, shards: settings.shards });
  try {
    const before = await store.storageFormat();
    const where = `prefix "${settings.prefix}"`;
    if (context.values.upgrade !== true) {
      context.stdout.write(
        `${where}: storage format ${before.format}; this version writes up to ${before.newest}` +
          (before.format < before.newest
            ? " (once every instance runs it: hookyard storage-format --upgrade)\n"
            : "\n"),
      );
      return EXIT.ok;
    }
    const after = await store.upgradeStorageFormat();
    context.stdout.write(
      after.format === before.format
        ? `${where}: already at storage format ${after.format}\n`
        : `${where}: storage format ${before.format} → ${after.format}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof HookyardError)) throw error;
    context.stderr.write(`hookyard storage-format: ${error.code}: ${error.message}\n`);
    return error.code === "CONFIG_INVALID" ? EXIT.config : EXIT.unavailable;
  } finally {
    await store.close();
  }
}
