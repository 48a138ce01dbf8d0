import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "amqplib";
import { stablePort } from "./stable-port.js";
import { waitFor } from "./wait.js";

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

const SERVER = process.env.HOOKYARD_RABBITMQ_SERVER ?? "/usr/lib/rabbitmq/bin/rabbitmq-server";
/** A node boots in ~5 s on an idle machine, several times that on a loaded one. */
const START_TIMEOUT_MS = 120_000;

/** Starts a node with `config` lines (rabbitmq.conf syntax) added to its own listener settings. */
export async function privateRabbitMq(config: readonly string[] = []): Promise<PrivateRabbitMq> {
  const port = await stablePort();
  const dir = mkdtempSync(join(tmpdir(), "hookyard-rabbitmq-"));
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [`listeners.tcp.default = 127.0.0.1:${port}`, "disk_free_limit.absolute = 10MB", ...config, ""].join("\n"),
  );
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  writeFileSync(join(dir, "rabbitmq-env.conf"), ""); // not the machine's (it names the shared node)
  const child: ChildProcess = spawn(SERVER, [], {
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      RABBITMQ_NODENAME: `hookyard-${port}@localhost`,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(port + 20_000),
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
  try {
    await waitFor(
      `a private RabbitMQ on port ${port} (logs in ${dir}/log)`,
      async () => {
        if (child.exitCode !== null) throw new Error(`rabbitmq-server exited with ${child.exitCode}`);
        const model = await connect(url).catch(() => undefined);
        if (model === undefined) return undefined;
        await model.close();
        return true;
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 500 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
