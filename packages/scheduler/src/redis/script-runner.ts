import { Cluster, type Redis } from "ioredis";
import type { SchedulerLogger } from "../logger.js";
import type { RedisClient } from "./connection.js";
import {
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

type Command = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * Runs the scripts on a client as Redis Functions: the library (scripts.ts) is loaded once per server with
 * FUNCTION LOAD (on a Cluster, on every master; functions are persisted and replicated, so a promoted replica has
 * them), then each call is one FCALL, which skips re-running the shared prelude that EVALSHA runs every time.
 * A function missing at call time (flushed, a restart without persistence, a new Cluster node) is loaded again and
 * the call retried. Where FUNCTION LOAD is refused — an ACL without it, a managed Redis that forbids it, maxmemory —
 * the same scripts run by EVALSHA (ioredis `defineCommand`, EVAL on NOSCRIPT), and the load is tried again a minute
 * later. On a Cluster the first key routes the call.
 */
export function createScriptRunner(client: RedisClient, logger?: SchedulerLogger): RunScript {
  const library = scriptLibrary();
  const evalCommands = defineEvalCommands(client);
  let loaded: Promise<boolean> | undefined;
  let retryLoadAt = 0;

  async function load(): Promise<boolean> {
    try {
      const servers: readonly Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
      await Promise.all(servers.map((server) => loadOn(server)));
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

  function functionsReady(): Promise<boolean> {
    if (loaded === undefined || (retryLoadAt > 0 && Date.now() >= retryLoadAt)) {
      retryLoadAt = 0;
      loaded = load();
    }
    return loaded;
  }

  function fcall(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return client.call("FCALL", library.functionOf(name), keys.length, ...keys, ...args);
  }

  return async (name, keys, args) => {
    const ready = functionsReady();
    if (await ready) {
      try {
        return await fcall(name, keys, args);
      } catch (error) {
        if (!(error instanceof Error && FUNCTION_MISSING.test(error.message))) throw error;
        // Calls in flight when Redis lost the library all fail alike: the first one loads it again, the others
        // wait for that load.
        if (loaded === ready) {
          logger?.warn({ library: library.name }, "redis lost the Hookyard functions; loading them again");
          loaded = load();
        }
        if (await loaded) return fcall(name, keys, args);
      }
    }
    const command = evalCommands[commandName(name)];
    if (command === undefined) throw new Error(`script ${name} is not defined`);
    return command.call(client, ...keys, ...args);
  };
}

/** Every script as an ioredis command (EVALSHA, EVAL on NOSCRIPT, which also covers a restart or SCRIPT FLUSH). */
function defineEvalCommands(client: RedisClient): Record<string, Command> {
  const sources = scriptSources();
  for (const name of Object.keys(sources) as ScriptName[]) {
    client.defineCommand(commandName(name), { numberOfKeys: scriptKeyCount(name), lua: sources[name] });
  }
  return client as unknown as Record<string, Command>;
}

function commandName(name: ScriptName): string {
  return `hookyard_${name}`;
}
