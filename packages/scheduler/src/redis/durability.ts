import { Cluster } from "ioredis";
import type { RedisClient } from "./connection.js";

/**
 * The scheduler is only as durable as Redis: it must run with `appendonly yes`. Returns a warning to log when a
 * server (every master of a Cluster) does not, or when CONFIG is not available to check (managed Redis often
 * renames it); undefined when all is well.
 */
export async function checkDurability(client: RedisClient): Promise<string | undefined> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  const problems: string[] = [];
  for (const node of nodes) {
    const where = `${node.options.host ?? "?"}:${node.options.port ?? "?"}`;
    try {
      const reply = (await node.config("GET", "appendonly")) as unknown;
      const value = Array.isArray(reply) ? reply[1] : undefined;
      if (value !== "yes") problems.push(`${where} has appendonly ${JSON.stringify(value ?? "unknown")}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return (
        `could not check Redis persistence (CONFIG GET appendonly failed on ${where}: ${reason}); ` +
        "make sure Redis runs with appendonly yes, or queued webhooks can be lost in a Redis restart"
      );
    }
  }
  if (problems.length === 0) return undefined;
  return (
    `Redis is not durable: ${problems.join(", ")}. Run Redis with appendonly yes (appendfsync everysec or ` +
    "always), or queued webhooks are lost when Redis restarts"
  );
}
