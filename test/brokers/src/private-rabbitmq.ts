import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "amqplib";
import { scratchDir } from "./scratch-dir.js";
import { stablePort } from "./stable-port.js";
import { ExitedWhileStarting, waitForStart } from "./wait.js";

/**
 * A RabbitMQ node of the test's own (its own node name, ports, data and config), for tests that need a broker
 * setting the shared one must not have, e.g. a small `max_message_size`. Started as a plain process from the Debian
 * package's scripts, run as the current user, in its own process group so `stop()` ends all of it.
 */
export interface PrivateRabbitMq {
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
  /** Stops the node (its whole process group) and deletes its directory. */
  stop(): Promise<void>;
}

const DEFAULT_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server";
/** A node boots in ~5 s on an idle machine, several times that on a loaded one. */
const START_TIMEOUT_MS = 120_000;
/**
 * A node that exits while booting (a port taken between our check and its bind, the usual cause) is started again
 * on new ports this many times in all.
 */
const START_ATTEMPTS = 3;

/** Starts a node with `config` lines (rabbitmq.conf syntax) added to its own listener settings. */
export async function privateRabbitMq(config: readonly string[] = []): Promise<PrivateRabbitMq> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNode(config);
    } catch (error) {
      if (!(error instanceof ExitedWhileStarting) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startNode(config: readonly string[]): Promise<PrivateRabbitMq> {
  const port = await stablePort();
  // Below the ephemeral range too: RabbitMQ exits (with status 0) when its distribution port is taken, and a port
  // in that range may be held by any outgoing connection.
  let distPort = await stablePort();
  while (distPort === port) distPort = await stablePort();
  const dir = scratchDir("hookyard-rabbitmq");
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [`listeners.tcp.default = 127.0.0.1:${port}`, "disk_free_limit.absolute = 10MB", ...config, ""].join("\n"),
  );
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  writeFileSync(join(dir, "rabbitmq-env.conf"), ""); // not the machine's (it names the shared node)
  const server = process.env.HOOKYARD_RABBITMQ_SERVER ?? DEFAULT_SERVER; // read per call: the harness's test swaps it
  const child: ChildProcess = spawn(server, [], {
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      RABBITMQ_NODENAME: `hookyard-${port}@localhost`,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(dir, "log"),
      RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
      RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
      RABBITMQ_PID_FILE: join(dir, "pid"),
    },
  });
  child.unref();
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const what = `a private RabbitMQ on ports ${port} (AMQP) and ${distPort} (distribution)`;
  try {
    await waitForStart(
      what,
      child,
      async () => {
        const model = await connect(url).catch(() => undefined);
        if (model === undefined) return undefined;
        await model.close();
        return true;
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 500 },
    );
  } catch (error) {
    const message = `${error instanceof Error ? error.message : String(error)}; its log ends:\n${logTail(dir)}`;
    await stop();
    throw error instanceof ExitedWhileStarting
      ? new ExitedWhileStarting(message)
      : new Error(message, { cause: error });
  }
  return { url, stop };
}

/** The last lines of the node's logs, for an error that must say why it did not start (the directory is deleted). */
function logTail(dir: string, lines = 30): string {
  const logDir = join(dir, "log");
  if (!existsSync(logDir)) return "(no log written)";
  const text = readdirSync(logDir)
    .filter((name) => name.endsWith(".log"))
    .map((name) => readFileSync(join(logDir, name), "utf8"))
    .join("\n");
  return text.trim().split("\n").slice(-lines).join("\n") || "(the log is empty)";
}
