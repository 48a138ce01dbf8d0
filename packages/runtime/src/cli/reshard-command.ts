import { HookyardError } from "@hookyard/core";
import { reshardRedisStore } from "@hookyard/scheduler";
import { clusterConnection } from "../gateway/cluster-connection.js";
import { type CommandContext, configPath, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/**
 * `hookyard reshard -c FILE`: switches the scheduler's Redis data to the file's `redis.shards` (drain and
 * switch). Every instance must be stopped; refused (78) while deliveries are queued, in flight or in an outbox.
 */
export async function reshardCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const config = await loadCommandConfig(context, file);
  const settings = config.redis;
  if (settings.mode === "embedded") {
    context.stderr.write(`hookyard reshard: ${file}: redis.url and redis.cluster are unset: nothing to reshard\n`);
    return EXIT.config;
  }
  const redis = settings.mode === "standalone" ? settings.url : clusterConnection(settings);
  try {
    const report = await reshardRedisStore({ redis, prefix: settings.prefix, shards: settings.shards });
    if (!report.changed) {
      context.stdout.write(`prefix "${settings.prefix}": already at ${report.to} shard(s)\n`);
      return EXIT.ok;
    }
    context.stdout.write(
      `prefix "${settings.prefix}": ${report.from} → ${report.to} shard(s); ${report.dedupKeys} dedup record(s) ` +
        "carried over\n",
    );
    if (report.runtimeDisabled.length > 0) {
      context.stdout.write(
        `endpoints disabled at runtime before, enabled again now: ${report.runtimeDisabled.join(", ")}\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof HookyardError)) throw error;
    context.stderr.write(`hookyard reshard: ${error.code}: ${error.message}\n`);
    return error.code === "CONFIG_INVALID" ? EXIT.config : EXIT.unavailable;
  }
}
