import { type ChainableCommander, Cluster, type Redis } from "ioredis";
import type { SchedulerLogger } from "../logger.js";
import type { RedisClient } from "./connection.js";
import {
  LIBRARY_PREFIX,
  type RedisCommand,
  type RunScript,
  type ScriptArg,
  type ScriptName,
  scriptKeyCount,
  scriptLibrary,
  scriptSources,
} from "./scripts.js";

/** After a failed FUNCTION LOAD, scripts go by EVALSHA for this long before the load is tried again. */
const RELOAD_AFTER_MS = 60_000;

// Redis 7.0 and Valkey reply this to an FCALL of a function no library registers (a FUNCTION FLUSH, a Redis that
// restarted without persistence, a Cluster node that joined after the load).
const FUNCTION_MISSING = /Function not found/i;
const ALREADY_LOADED = /already exists/i;
const NO_SCRIPT = /NOSCRIPT/;

type Command = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/** The library names in a FUNCTION LIST reply (RESP2: per library a flat list of field, value). */
function libraryNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((library: unknown) => {
    if (!Array.isArray(library)) return [];
    const at = library.indexOf("library_name");
    const name = at >= 0 ? library[at + 1] : undefined;
    return typeof name === "string" ? [name] : [];
  });
}

/**
 * Runs the scripts on a client as Redis Functions: the library (scripts.ts) is loaded once per server with
 * FUNCTION LOAD (on a Cluster, on every master; functions are persisted and replicated, so a promoted replica has
 * them), then each call is one FCALL, which skips re-running the shared prelude that EVALSHA runs every time.
 * A function missing at call time (flushed, a restart without persistence, a new Cluster node) is loaded again and
 * the call retried. Where FUNCTION LOAD is refused — an ACL without it, a managed Redis that forbids it, maxmemory —
 * the same scripts run by EVALSHA (ioredis `defineCommand`, EVAL on NOSCRIPT), and the load is tried again a minute
 * later. On a Cluster the first key routes the call.
 *
 * Each version's library has a name of its own, so Redis would keep every version ever deployed (code, and the
 * parse caches its functions filled) in its memory and its AOF. The first load of a runner therefore deletes the
 * other `hookyard_*` libraries. An instance of another version that still runs (a rolling upgrade) finds its
 * functions missing at its next call and loads them again, as after a flush; a reload deletes nothing, so two
 * versions never take turns deleting each other's library.
 */
export function createScriptRunner(client: RedisClient, logger?: SchedulerLogger): RunScript {
  const library = scriptLibrary();
  const sources = scriptSources();
  const evalCommands = defineEvalCommands(client, sources);
  let loaded: Promise<boolean> | undefined;
  let retryLoadAt = 0;
  let othersDeleted = false;

  async function load(): Promise<boolean> {
    try {
      const servers: readonly Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
      await Promise.all(servers.map((server) => loadOn(server)));
      if (!othersDeleted) {
        othersDeleted = true;
        await Promise.all(servers.map((server) => deleteOtherVersions(server)));
      }
      return true;
    } catch (error) {
      retryLoadAt = Date.now() + RELOAD_AFTER_MS;
      logger?.warn(
        { err: error, library: library.name },
        "redis refused FUNCTION LOAD; scripts run by EVALSHA (slower: every call re-runs the shared Lua helpers)",
      );
      return false;
    }
  }

  async function loadOn(server: Redis): Promise<void> {
    try {
      await server.call("FUNCTION", "LOAD", library.source);
    } catch (error) {
      // The library's name carries its code's hash: one of that name holds this very code.
      if (!(error instanceof Error && ALREADY_LOADED.test(error.message))) throw error;
    }
  }

  /** Best effort: where FUNCTION LIST or DELETE is refused (an ACL), the old libraries simply stay. */
  async function deleteOtherVersions(server: Redis): Promise<void> {
    try {
      const others = libraryNames(await server.call("FUNCTION", "LIST", "LIBRARYNAME", `${LIBRARY_PREFIX}*`)).filter(
        (name) => name.startsWith(LIBRARY_PREFIX) && name !== library.name,
      );
      for (const name of others) await server.call("FUNCTION", "DELETE", name);
      if (others.length > 0)
        logger?.info({ deleted: others }, "deleted the Redis functions of other Hookyard versions");
    } catch (error) {
      logger?.debug({ err: error }, "could not delete the Redis functions of other Hookyard versions");
    }
  }

  function functionsReady(): Promise<boolean> {
    if (loaded === undefined || (retryLoadAt > 0 && Date.now() >= retryLoadAt)) {
      retryLoadAt = 0;
      loaded = load();
    }
    return loaded;
  }

  function fcall(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    before: readonly RedisCommand[],
  ) {
    const fcallArgs = [library.functionOf(name), keys.length, ...keys, ...args];
    if (before.length === 0) return client.call("FCALL", ...fcallArgs);
    return inTransaction(client, before, (tx) => tx.call("FCALL", ...fcallArgs));
  }

  return async (name, keys, args, before = []) => {
    const ready = functionsReady();
    if (await ready) {
      try {
        return await fcall(name, keys, args, before);
      } catch (error) {
        if (!(error instanceof Error && FUNCTION_MISSING.test(error.message))) throw error;
        // Calls in flight when Redis lost the library all fail alike: the first one loads it again, the others
        // wait for that load. (Redis refuses a transaction whose FCALL names no function whole: EXECABORT.)
        if (loaded === ready) {
          logger?.warn({ library: library.name }, "redis lost the Hookyard functions; loading them again");
          loaded = load();
        }
        if (await loaded) return fcall(name, keys, args, before);
      }
    }
    const command = commandName(name);
    if (evalCommands[command] === undefined) throw new Error(`script ${name} is not defined`);
    if (before.length === 0) return (evalCommands[command] as Command).call(client, ...keys, ...args);
    const inTx = () =>
      inTransaction(client, before, (tx) => (tx as unknown as Record<string, Command>)[command]?.(...keys, ...args));
    try {
      return await inTx();
    } catch (error) {
      // ioredis answers NOSCRIPT with EVAL for a lone call, not inside a transaction (after a SCRIPT FLUSH, a
      // restart): the script is loaded, and the transaction sent again.
      if (!(error instanceof Error && NO_SCRIPT.test(error.message))) throw error;
      await client.script("LOAD", sources[name]);
      return inTx();
    }
  };
}

/**
 * `before`, then the command `last` adds, in one MULTI/EXEC; resolves to the last command's reply. Redis applies
 * the commands in order without others in between. A command refused as it is queued (unknown function, OOM)
 * discards the whole transaction; one that fails as it runs (a script's error, EVALSHA's NOSCRIPT) does not undo
 * the others, so `before` must be safe to send again.
 */
async function inTransaction(
  client: RedisClient,
  before: readonly RedisCommand[],
  last: (tx: ChainableCommander) => unknown,
): Promise<unknown> {
  const tx = client.multi();
  for (const [command, ...args] of before) tx.call(command, ...args);
  last(tx);
  const results = await tx.exec();
  if (results === null) throw new Error("redis discarded the transaction");
  for (const [error] of results) if (error) throw error;
  return (results[results.length - 1] as [Error | null, unknown])[1];
}

/** Every script as an ioredis command (EVALSHA, EVAL on NOSCRIPT, which also covers a restart or SCRIPT FLUSH). */
function defineEvalCommands(client: RedisClient, sources: Record<ScriptName, string>): Record<string, Command> {
  for (const name of Object.keys(sources) as ScriptName[]) {
    client.defineCommand(commandName(name), { numberOfKeys: scriptKeyCount(name), lua: sources[name] });
  }
  return client as unknown as Record<string, Command>;
}

function commandName(name: ScriptName): string {
  return `hookyard_${name}`;
}
