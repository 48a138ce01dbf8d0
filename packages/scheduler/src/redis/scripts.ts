import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { LUA_KEY_FUNCTIONS } from "./keys.js";

/**
 * One Lua file per operation (src/lua, copied to dist/lua by the build), how many KEYS it declares, and its Redis 7
 * flags. At maxmemory (`noeviction`) Redis refuses a script or function without `allow-oom` before it runs
 * (atomically, nothing half-written) instead of failing at its first write: intake (enqueue, keep-rejected,
 * requeue) backs off, while the scripts that lease, settle and hand settled records to the history store — which
 * free memory or must keep the queue moving — carry `allow-oom`, so a full Redis drains instead of freezing. The
 * reads are `no-writes` (allowed at maxmemory too).
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
  outboxStats: { file: "outbox-stats.lua", keys: 1, flags: "no-writes" },
  keepRejected: { file: "keep-rejected.lua", keys: 1, flags: "" },
  takeOutbox: { file: "take-outbox.lua", keys: 1, flags: "allow-oom" },
  ackOutbox: { file: "ack-outbox.lua", keys: 1, flags: "allow-oom" },
  time: { file: "time.lua", keys: 1, flags: "no-writes" },
  completeClaim: { file: "complete-claim.lua", keys: 2, flags: "allow-oom" },
} as const;

/**
 * Scripts made of others: inside the script's function, each part is a local function `<part>_part(ARGV)` that
 * runs that script with the same KEYS and its own argument list (see complete-claim.lua). Parts come earlier in
 * SCRIPT_FILES.
 */
const SCRIPT_PARTS: Partial<Record<ScriptName, readonly ScriptName[]>> = {
  completeClaim: ["complete", "claim"],
};

export type ScriptName = keyof typeof SCRIPT_FILES;
export type ScriptArg = string | number;
/** A Redis command and its arguments, e.g. `["HSET", key, "env", text]`. */
export type RedisCommand = readonly [string, ...ScriptArg[]];
/**
 * Runs a script. `before`: commands sent with it in one MULTI/EXEC, run just before it (all or none applied), e.g.
 * to store bytes a script would otherwise take as arguments (see enqueue.lua); empty or absent: a plain call.
 */
export type RunScript = (
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  before?: readonly RedisCommand[],
) => Promise<unknown>;

/** Shared helpers, placed after the key functions and before the scripts; lib/call.lua last (it uses the others). */
const LIBRARY_FILES = ["lib/endpoint.lua", "lib/delivery.lua", "lib/call.lua"];

const SCRIPT_NAMES = Object.keys(SCRIPT_FILES) as ScriptName[];

/** How many KEYS a script declares (EVALSHA and FCALL both take the count first). */
export function scriptKeyCount(name: ScriptName): number {
  return SCRIPT_FILES[name].keys;
}

function readLua(file: string): string {
  return readFileSync(new URL(`../lua/${file}`, import.meta.url), "utf8");
}

/**
 * A script's file as a local function `<name>_script(KEYS, ARGV)`, which first puts the per-call state back
 * (lib/call.lua's begin_call: the base prefix, ARGV[1], and what a previous call of a Function library left).
 */
function scriptFunction(name: ScriptName): string {
  const parts = (SCRIPT_PARTS[name] ?? []).map(
    (part) => `local function ${part}_part(args) return ${part}_script(KEYS, args) end`,
  );
  return [
    `local function ${name}_script(KEYS, ARGV)`,
    "begin_call(ARGV[1])",
    ...parts,
    readLua(SCRIPT_FILES[name].file),
    "end",
  ].join("\n");
}

function prelude(): string {
  return [LUA_KEY_FUNCTIONS, ...LIBRARY_FILES.map(readLua)].join("\n");
}

/**
 * The EVAL source of each script: its shebang (Redis 7 flags; it must be the first line), the prelude, the
 * script's function and those of its parts, and the call of its function.
 */
export function scriptSources(): Record<ScriptName, string> {
  const shared = prelude();
  const sources = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES) {
    const { flags } = SCRIPT_FILES[name];
    const shebang = flags === "" ? "#!lua" : `#!lua flags=${flags}`;
    const functions = [...(SCRIPT_PARTS[name] ?? []), name].map(scriptFunction);
    sources[name] = [shebang, shared, ...functions, `return ${name}_script(KEYS, ARGV)`].join("\n");
  }
  return sources;
}

/** What every Hookyard library's name starts with: `hookyard_<hash of the code>`. */
export const LIBRARY_PREFIX = "hookyard_";

export interface ScriptLibrary {
  /** `hookyard_<hash of the code>`: a new version is a new library, so versions side by side never clash. */
  readonly name: string;
  /** The FUNCTION LOAD source. */
  readonly source: string;
  /** The registered function of a script (`hy_<hash>_<name>`: function names are global across libraries). */
  functionOf(name: ScriptName): string;
}

/**
 * Every script as one Redis Function library: the prelude (key functions, shared helpers) is compiled and run once
 * at FUNCTION LOAD, where EVALSHA runs it again on every call (~68k instructions, bench/README.md).
 */
export function scriptLibrary(): ScriptLibrary {
  const body = [prelude(), ...SCRIPT_NAMES.map(scriptFunction)].join("\n");
  const hash = createHash("sha1").update(body).digest("hex").slice(0, 16);
  const functionOf = (name: ScriptName) => `hy_${hash}_${name}`;
  const registrations = SCRIPT_NAMES.map((name) => {
    const { flags } = SCRIPT_FILES[name];
    const flagList = flags === "" ? "" : `, flags = { "${flags}" }`;
    return `redis.register_function{ function_name = "${functionOf(name)}", callback = ${name}_script${flagList} }`;
  });
  const name = `${LIBRARY_PREFIX}${hash}`;
  return { name, source: [`#!lua name=${name}`, body, ...registrations].join("\n"), functionOf };
}
