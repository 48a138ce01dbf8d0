import { HookyardError } from "@hookyard/core";
import { Cluster, type Redis } from "ioredis";
import type { RedisClient } from "./connection.js";
import { serverHasWaitAof } from "./replica-wait.js";

/**
 * What an acknowledgement (ingest 2xx, broker ack) promises about the events it covers:
 * - `everysec`: written to Redis's AOF before the reply, fsynced within ~1 s: a Redis process crash loses
 *   nothing acknowledged, a host crash or power loss up to ~1 s of events (2 s when the disk falls behind).
 * - `always`: every write fsynced before the reply (`appendfsync always`, checked at start-up): a host crash
 *   loses nothing acknowledged on that host's disk.
 * - `replicated`: the reply waits until `replicas` replicas hold the writes (`WAIT`, or `WAITAOF` fsynced on
 *   each where Redis >= 7.2): losing the master's host loses nothing acknowledged once a replica is promoted.
 */
export type AckDurabilityMode = "everysec" | "always" | "replicated";

export interface AckDurability {
  readonly mode: AckDurabilityMode;
  /** `replicated`: how many replicas must hold an event before it is acknowledged. Default 1. */
  readonly replicas?: number;
  /** `replicated`: how long to wait for them before refusing the events (retryable). Default 1000 ms. */
  readonly timeoutMs?: number;
}

export interface ServerCheckOptions {
  readonly durability: AckDurability;
  /**
   * Start with a warning instead of refusing when a setting cannot be read (managed Redis that hides `CONFIG`
   * or `INFO`). Never overrides a setting that can be read and is unsafe.
   */
  readonly unverifiedConfig: boolean;
}

export interface ServerCheck {
  /** Things to log at warn; empty when all is well. */
  readonly warnings: readonly string[];
  /** Whether every master has WAITAOF (Redis >= 7.2). */
  readonly waitAof: boolean;
}

const MIN_VERSION = [7, 0] as const;

/**
 * Reads each master's settings (INFO first, which managed Redis usually allows; CONFIG GET where INFO does not
 * say) and refuses, with a `CONFIG_INVALID` error naming the setting and why, what would lose acknowledged
 * events: a Redis older than 7.0 (script flags), a `maxmemory-policy` that evicts, `always` without
 * `appendfsync always`, `replicated` on a Cluster with a master that has fewer replicas than required (its
 * events could never be acknowledged, and its failover would lose them). What is merely weaker than promised
 * becomes a warning.
 */
export async function checkServer(client: RedisClient, options: ServerCheckOptions): Promise<ServerCheck> {
  const cluster = client instanceof Cluster;
  const nodes: Redis[] = cluster ? client.nodes("master") : [client];
  const warnings: string[] = [];
  let waitAof = true;
  for (const node of nodes) {
    const where = `${node.options.host ?? "?"}:${node.options.port ?? "?"}`;
    const read = settingReader(node, where, options.unverifiedConfig, warnings);
    const version = await read("redis_version", undefined);
    if (version !== undefined) {
      const [major = 0] = version.split(".").map(Number);
      if (major < MIN_VERSION[0]) {
        throw refuse("redis_version", version, `${where} runs Redis ${version}; Hookyard needs Redis 7.0 or newer`);
      }
    }
    const valkeyVersion = await read("valkey_version", undefined);
    if (!serverHasWaitAof({ redisVersion: version, valkeyVersion })) waitAof = false;
    const policy = await read("maxmemory_policy", "maxmemory-policy");
    if (policy !== undefined && policy !== "noeviction") {
      throw refuse("maxmemory-policy", policy, `${where} has maxmemory-policy ${policy}: ${evictionHarm(policy)}`);
    }
    if (!(await checkAof(read, where, options, warnings))) waitAof = false; // WAITAOF needs the AOF locally
    if (options.durability.mode === "replicated") {
      const wanted = options.durability.replicas ?? 1;
      const connected = await read("connected_slaves", undefined);
      if (cluster && connected !== undefined && Number(connected) < wanted) {
        throw refuse("redis.ackReplicas", String(wanted), clusterReplicasMissing(where, Number(connected), wanted));
      }
      if (connected !== undefined && Number(connected) < wanted) {
        warnings.push(
          `ackDurability replicated waits for ${wanted} replica(s) but ${where} has ${connected} connected: ` +
            "events are refused (503 / not acked) until enough replicas are in sync",
        );
      }
    }
  }
  return { warnings, waitAof };
}

type ReadSetting = (infoField: string, configName: string | undefined) => Promise<string | undefined>;

async function checkAof(
  read: ReadSetting,
  where: string,
  options: ServerCheckOptions,
  warnings: string[],
): Promise<boolean> {
  const aof = await read("aof_enabled", "appendonly");
  const enabled = aof === "1" || aof === "yes";
  if (options.durability.mode === "always") {
    if (aof !== undefined && !enabled) {
      throw refuse("appendonly", "no", `ackDurability always needs appendonly yes, and ${where} has it off`);
    }
    const fsync = await read("", "appendfsync");
    if (fsync !== undefined && fsync !== "always") {
      throw refuse(
        "appendfsync",
        fsync,
        `ackDurability always needs appendfsync always, and ${where} has appendfsync ${fsync} ` +
          "(set it, or choose ackDurability everysec and accept ~1 s of events lost in a host crash)",
      );
    }
    return enabled;
  }
  if (aof !== undefined && !enabled) {
    warnings.push(
      `Redis is not durable: ${where} has appendonly "no". Run Redis with appendonly yes (appendfsync everysec ` +
        "or always), or queued webhooks are lost when Redis restarts",
    );
  }
  return enabled;
}

/**
 * Reads one setting of a node: the INFO field when given (INFO is cached per node for the check), else CONFIG
 * GET. Unreadable: refused, or a warning with `unverifiedConfig`.
 */
function settingReader(node: Redis, where: string, unverified: boolean, warnings: string[]): ReadSetting {
  let info: Promise<Map<string, string> | undefined> | undefined;
  return async (infoField, configName) => {
    info ??= node.info().then(parseInfo, () => undefined);
    const fromInfo = infoField === "" ? undefined : (await info)?.get(infoField);
    if (fromInfo !== undefined || configName === undefined) return fromInfo;
    try {
      const reply = (await node.config("GET", configName)) as unknown;
      if (Array.isArray(reply) && typeof reply[1] === "string") return reply[1];
      throw new Error("no such setting");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const what = `could not read ${configName} on ${where} (${reason})`;
      if (!unverified) {
        throw refuse(
          configName,
          "unknown",
          `${what}; if this managed Redis hides CONFIG, make sure ${configName} is safe (maxmemory-policy ` +
            "noeviction, appendonly yes) and set redis.unverifiedConfig: true to start anyway",
        );
      }
      warnings.push(`${what}; starting anyway (redis.unverifiedConfig): make sure it is safe`);
      return undefined;
    }
  };
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

function clusterReplicasMissing(where: string, connected: number, wanted: number): string {
  return (
    `ackDurability replicated waits for ${wanted} replica(s) of each Cluster master, and master ${where} has ` +
    `${connected} connected: give every master ${wanted} replica(s) (redis-cli --cluster add-node <new> <any> ` +
    "--cluster-slave), or lower redis.ackReplicas"
  );
}

function evictionHarm(policy: string): string {
  if (policy.startsWith("volatile-")) {
    return "at maxmemory Redis deletes keys that have a TTL, such as de-duplication keys, so redelivered events are delivered twice; set maxmemory-policy noeviction (Hookyard then refuses new events at maxmemory and keeps delivering)";
  }
  return "at maxmemory Redis deletes queued deliveries, so acknowledged events are never delivered; set maxmemory-policy noeviction (Hookyard then refuses new events at maxmemory and keeps delivering)";
}

function refuse(setting: string, value: string, message: string): HookyardError {
  return new HookyardError("CONFIG_INVALID", `unsafe Redis: ${message}`, { details: { setting, value } });
}
