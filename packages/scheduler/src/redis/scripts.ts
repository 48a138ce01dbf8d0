import { readFileSync } from "node:fs";
import type { RedisClient } from "./connection.js";
import { LUA_KEY_FUNCTIONS } from "./keys.js";

/**
 * One Lua file per operation (src/lua, copied to dist/lua by the build), how many KEYS it declares, and its Redis 7
 * script flags. Every script carries a `#!lua` shebang, so at maxmemory (`noeviction`) Redis refuses a script
 * without `allow-oom` before it runs (atomically, nothing half-written) instead of failing at its first write:
 * intake (enqueue, keep-rejected, requeue) backs off, while the scripts that lease, settle and hand settled records
 * to the history store — which free memory or must keep the queue moving — carry `allow-oom`, so a full Redis
 * drains instead of freezing. The reads are `no-writes` (allowed at maxmemory too).
 */
const SCRIPT_FILES = {
  enqueue: { file: "enqueue.lua", keys: 1, flags: "" },
  claim: { file: "claim.lua", keys: 2, flags: "allow-oom" },
  complete: { file: "complete.lua", keys: 2, flags: "allow-oom" },
  extendLeases: { file: "extend-leases.lua", keys: 1, flags: "allow-oom" },
  syncEndpoints: { file: "sync-endpoints.lua", keys: 1, flags: "allow-oom" },
  setEndpointEnabled: { file: "set-endpoint-enabled.lua", keys: 1, flags: "allow-oom" },
  requeue: { file: "requeue.lua", keys: 1, flags: "" },
  getDeliveries: { file: "get-deliveries.lua", keys: 1, flags: "no-writes" },
  endpointStates: { file: "endpoint-states.lua", keys: 1, flags: "no-writes" },
  keepRejected: { file: "keep-rejected.lua", keys: 1, flags: "" },
  takeOutbox: { file: "take-outbox.lua", keys: 1, flags: "allow-oom" },
  ackOutbox: { file: "ack-outbox.lua", keys: 1, flags: "allow-oom" },
  time: { file: "time.lua", keys: 1, flags: "no-writes" },
  completeClaim: { file: "complete-claim.lua", keys: 2, flags: "allow-oom" },
} as const;

/**
 * Scripts made of others: each part's source becomes the body of a local function `<name>_part(ARGV)`, placed
 * before the script's own file, which calls them with their own argument lists (see complete-claim.lua).
 */
const SCRIPT_PARTS: Partial<Record<ScriptName, Record<string, string>>> = {
  completeClaim: { complete: "complete.lua", claim: "claim.lua" },
};

export type ScriptName = keyof typeof SCRIPT_FILES;
export type ScriptArg = string | number;
export type RunScript = (name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/** Shared helpers, placed after the key functions and before each script. */
const LIBRARY_FILES = ["lib/endpoint.lua", "lib/delivery.lua"];

function readLua(file: string): string {
  return readFileSync(new URL(`../lua/${file}`, import.meta.url), "utf8");
}

/**
 * The full source of each script: its shebang (Redis 7 flags; it must be the first line), the key functions, the
 * shared helpers, then the script's own file.
 */
export function scriptSources(): Record<ScriptName, string> {
  const prelude = [LUA_KEY_FUNCTIONS, ...LIBRARY_FILES.map(readLua)].join("\n");
  const sources = {} as Record<ScriptName, string>;
  for (const [name, { file, flags }] of Object.entries(SCRIPT_FILES) as [ScriptName, ScriptFile][]) {
    const shebang = flags === "" ? "#!lua" : `#!lua flags=${flags}`;
    const parts = Object.entries(SCRIPT_PARTS[name] ?? {}).map(
      ([part, partFile]) => `local function ${part}_part(ARGV)\n${readLua(partFile)}\nend`,
    );
    sources[name] = [shebang, prelude, ...parts, readLua(file)].join("\n");
  }
  return sources;
}

interface ScriptFile {
  readonly file: string;
  readonly flags: string;
}

type ScriptCommand = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * Registers every script on the client with `defineCommand`: ioredis sends EVALSHA and falls back to EVAL on
 * NOSCRIPT, which also covers a Redis restart or SCRIPT FLUSH. On a Cluster the first key routes the call.
 */
export function defineScripts(client: RedisClient): RunScript {
  const sources = scriptSources();
  for (const name of Object.keys(SCRIPT_FILES) as ScriptName[]) {
    client.defineCommand(commandName(name), { numberOfKeys: SCRIPT_FILES[name].keys, lua: sources[name] });
  }
  const commands = client as unknown as Record<string, ScriptCommand>;
  return (name, keys, args) => {
    const command = commands[commandName(name)];
    if (command === undefined) throw new Error(`script ${name} is not defined`);
    return command.call(client, ...keys, ...args);
  };
}

function commandName(name: ScriptName): string {
  return `hookyard_${name}`;
}
