import { readFileSync } from "node:fs";
import type { RedisClient } from "./connection.js";
import { LUA_KEY_FUNCTIONS } from "./keys.js";

/** One Lua file per operation (src/lua, copied to dist/lua by the build) and how many KEYS it declares. */
const SCRIPT_FILES = {
  enqueue: { file: "enqueue.lua", keys: 1 },
  claim: { file: "claim.lua", keys: 2 },
  complete: { file: "complete.lua", keys: 2 },
  extendLeases: { file: "extend-leases.lua", keys: 1 },
  syncEndpoints: { file: "sync-endpoints.lua", keys: 1 },
  setEndpointEnabled: { file: "set-endpoint-enabled.lua", keys: 1 },
  replayDelivery: { file: "replay-delivery.lua", keys: 1 },
  replayDeadLetters: { file: "replay-dead-letters.lua", keys: 1 },
  replaySince: { file: "replay-since.lua", keys: 1 },
  getDeliveries: { file: "get-deliveries.lua", keys: 1 },
  endpointStates: { file: "endpoint-states.lua", keys: 1 },
  keepRejected: { file: "keep-rejected.lua", keys: 1 },
  queryDeliveries: { file: "query-deliveries.lua", keys: 1 },
  replayDeliveries: { file: "replay-deliveries.lua", keys: 1 },
  trimDeliveryIndex: { file: "trim-delivery-index.lua", keys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;
export type ScriptArg = string | number;
export type RunScript = (name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/** Shared helpers, placed after the key functions and before each script. */
const LIBRARY_FILES = ["lib/endpoint.lua"];

function readLua(file: string): string {
  return readFileSync(new URL(`../lua/${file}`, import.meta.url), "utf8");
}

/** The full source of each script: key functions, shared helpers, then the script's own file. */
export function scriptSources(): Record<ScriptName, string> {
  const prelude = [LUA_KEY_FUNCTIONS, ...LIBRARY_FILES.map(readLua)].join("\n");
  const sources = {} as Record<ScriptName, string>;
  for (const [name, { file }] of Object.entries(SCRIPT_FILES) as [ScriptName, { file: string }][]) {
    sources[name] = `${prelude}\n${readLua(file)}`;
  }
  return sources;
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
