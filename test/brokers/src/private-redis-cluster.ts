import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { redisServerArgs } from "./redis-server-args.js";
import { scratchDir } from "./scratch-dir.js";
import { waitFor, waitForStart } from "./wait.js";

/**
 * A throwaway Redis Cluster for tests and benchmarks that kill its nodes or count its commands (never the shared
 * one from `brokers up`): `masters` redis-servers with cluster-enabled, plus `replicasPerMaster` replicas each,
 * joined by `redis-cli --cluster create`. Each node has its own temp dir and AOF (appendfsync everysec, the
 * documented default). A small `nodeTimeoutMs` makes a killed master's replica take over within seconds.
 */
export interface PrivateRedisCluster {
  readonly nodes: readonly PrivateClusterNode[];
  /** The masters as created, for clients' start-up nodes (any live node would do). */
  readonly clusterNodes: readonly { readonly host: string; readonly port: number }[];
  /** CLUSTER NODES as seen by a live node: every node's port, role and master. */
  topology(): Promise<ClusterNodeView[]>;
  /**
   * Resolves once `port` (a master that was killed) is replaced: one of its replicas is a master, every slot is
   * served, and every live node says cluster_state:ok. Returns the promoted node's port.
   */
  waitForPromotion(port: number, timeoutMs?: number): Promise<number>;
  /**
   * Resolves once a replica of master `port` holds every write the master accepted before the call: a write of
   * its own on that master, then WAIT (replication is one ordered stream per master, so the WAIT covers every
   * earlier write, whichever connection made it). What an `everysec` failover may lose comes after this.
   */
  fence(port: number): Promise<void>;
  /**
   * Moves one slot, live, from the master serving it to master `toPort`, as `redis-cli --cluster reshard` does:
   * IMPORTING / MIGRATING, then MIGRATE of `keysPerStep` keys at a time (clients meanwhile get ASK and TRYAGAIN),
   * then SETSLOT NODE on every master (clients get MOVED). Calls `onStep` after each MIGRATE.
   */
  moveSlot(
    slot: number,
    toPort: number,
    options?: { keysPerStep?: number; onStep?: () => Promise<void> },
  ): Promise<void>;
  /** Stops every node and deletes their directories. */
  stop(): Promise<void>;
}

export interface PrivateClusterNode {
  readonly port: number;
  /** The running process's pid (0 when not started). */
  readonly pid: number;
  /** The role it was created with (failover changes the real one: see `topology()`). */
  readonly createdAs: "master" | "replica";
  /** An admin connection to this node only (not routed by slot). */
  readonly admin: Redis;
  /** SIGKILL: the node's process dies as in a host crash. */
  kill(): Promise<void>;
  /**
   * Starts a killed node again on its port and data (its nodes.conf): a killed master whose replica was promoted
   * rejoins as that replica's replica. Resolves once it answers PING.
   */
  restart(): Promise<void>;
  readonly alive: boolean;
}

export interface ClusterNodeView {
  readonly id: string;
  readonly port: number;
  readonly role: "master" | "replica";
  readonly failed: boolean;
  /** For a replica, its master's node id. */
  readonly masterId?: string;
  /** How many slots it serves, and which (inclusive ranges). */
  readonly slots: number;
  readonly ranges: readonly (readonly [number, number])[];
}

export interface PrivateRedisClusterOptions {
  readonly masters?: number;
  readonly replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master may be unreachable before a replica is promoted. Default 1000 ms. */
  readonly nodeTimeoutMs?: number;
  readonly redisServer?: string;
  /** requirepass (and masterauth) on every node; `admin` connections use it. */
  readonly password?: string;
}

const run = promisify(execFile);

export async function startPrivateRedisCluster(options: PrivateRedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const nodes: PrivateClusterNode[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(await startNode(options.redisServer ?? "redis-server", nodeTimeoutMs, options.password));
    }
    // redis-cli picks the masters and gives each `replicas` of the others; each node's own view says which.
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ],
      {
        timeout: 60_000,
        env: { ...process.env, ...(options.password === undefined ? {} : { REDISCLI_AUTH: options.password }) },
      },
    );
    await waitFor("the private cluster to be ok on every node", () => allOk(nodes, masters * replicas), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
  } catch (error) {
    await Promise.all(nodes.map((n) => stopNode(n)));
    throw error;
  }

  // Each node's own line (gossip may not have told the others yet which master a replica follows).
  const created = await Promise.all(
    nodes.map(async (node) => {
      const self = (await topologyOf([node])).find((view) => view.port === node.port);
      if (self === undefined) throw new Error(`127.0.0.1:${node.port} does not list itself`);
      (node as NodeProcess).createdAs = self.role;
      return self;
    }),
  );
  const cluster: PrivateRedisCluster = {
    nodes,
    clusterNodes: nodes.filter((n) => n.createdAs === "master").map((n) => ({ host: "127.0.0.1", port: n.port })),
    topology: () => topologyOf(nodes),
    async waitForPromotion(port, timeoutMs = 60_000) {
      const heirs = created.filter((n) => n.masterId === created.find((m) => m.port === port)?.id);
      if (heirs.length === 0) throw new Error(`127.0.0.1:${port} was not created a master with replicas`);
      return waitFor(
        `a replica of 127.0.0.1:${port} to be promoted`,
        async () => {
          const view = await topologyOf(nodes);
          const heir = view.find((n) => n.role === "master" && !n.failed && heirs.some((h) => h.id === n.id));
          const served = view.filter((n) => n.role === "master" && !n.failed).reduce((sum, n) => sum + n.slots, 0);
          if (heir === undefined || heir.slots === 0 || served !== 16_384) return undefined;
          return (await allOk(nodes, 0)) ? heir.port : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      );
    },
    async fence(port) {
      const node = nodes.find((n) => n.port === port);
      if (node === undefined) throw new Error(`no node on port ${port}`);
      const key = await keyServedBy(node);
      await node.admin.set(key, String(Date.now()));
      const acknowledged = await node.admin.wait(1, 30_000);
      if (acknowledged < 1) throw new Error(`no replica of 127.0.0.1:${port} acknowledged the fence within 30 s`);
    },
    async moveSlot(slot, toPort, { keysPerStep = 10, onStep } = {}) {
      const view = await topologyOf(nodes);
      const from = view.find(
        (n) => n.role === "master" && !n.failed && n.ranges.some(([l, h]) => slot >= l && slot <= h),
      );
      const to = view.find((n) => n.port === toPort);
      const source = nodes.find((n) => n.port === from?.port);
      const target = nodes.find((n) => n.port === toPort);
      if (!from || !to || !source || !target) throw new Error(`cannot move slot ${slot} to 127.0.0.1:${toPort}`);
      if (from.port === toPort) return;
      await target.admin.cluster("SETSLOT", slot, "IMPORTING", from.id);
      await source.admin.cluster("SETSLOT", slot, "MIGRATING", to.id);
      for (;;) {
        const keys = (await source.admin.cluster("GETKEYSINSLOT", slot, keysPerStep)) as string[];
        if (keys.length === 0) break;
        await source.admin.migrate("127.0.0.1", toPort, "", 0, 10_000, "KEYS", ...keys);
        await onStep?.();
      }
      // The target first, then the source, then the other masters (as redis-cli does).
      const masters = view.filter((n) => n.role === "master" && !n.failed);
      const order = [to, from, ...masters.filter((n) => n.id !== to.id && n.id !== from.id)];
      for (const master of order) {
        await nodes.find((n) => n.port === master.port)?.admin.cluster("SETSLOT", slot, "NODE", to.id);
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => stopNode(n)));
    },
  };
  return cluster;
}

interface NodeProcess extends PrivateClusterNode {
  readonly dir: string;
  createdAs: "master" | "replica";
}

async function startNode(
  redisServer: string,
  nodeTimeoutMs: number,
  password: string | undefined,
): Promise<PrivateClusterNode> {
  const port = await clusterPort();
  const dir = scratchDir("hookyard-cluster");
  const args = [
    ...redisServerArgs(port, dir),
    "--loglevel",
    "warning",
    "--logfile",
    join(dir, "redis.log"),
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    String(nodeTimeoutMs),
    // A replica takes over however long it was cut off (the tests kill masters mid-write).
    "--cluster-replica-validity-factor",
    "0",
    // A replica syncs at once (diskless sync waits 5 s by default for more replicas).
    "--repl-diskless-sync-delay",
    "0",
    ...(password === undefined ? [] : ["--requirepass", password, "--masterauth", password]),
  ];
  const admin = new Redis({
    port,
    host: "127.0.0.1",
    retryStrategy: () => 50,
    maxRetriesPerRequest: 1,
    ...(password === undefined ? {} : { password }),
  });
  admin.on("error", () => undefined);
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(redisServer, args, { stdio: "ignore" });
    started.unref();
    child = started;
    const pong = async () => ((await admin.ping()) === "PONG" ? true : undefined);
    await waitForStart(`cluster node on port ${port}`, started, pong, { timeoutMs: 15_000 });
  };
  const node: NodeProcess = {
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    createdAs: "master", // until the cluster is created
    admin,
    dir,
    get alive() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGKILL");
      await exited;
    },
    async restart() {
      if (node.alive) throw new Error(`cluster node ${port} is running`);
      await launch();
    },
  };
  await launch();
  return node;
}

async function stopNode(node: PrivateClusterNode): Promise<void> {
  await node.kill();
  node.admin.disconnect();
  rmSync((node as NodeProcess).dir, { recursive: true, force: true });
}

/** Every live node says cluster_state:ok, and `linkedReplicas` replicas have their master link up. */
async function allOk(nodes: readonly PrivateClusterNode[], linkedReplicas: number): Promise<true | undefined> {
  let linked = 0;
  for (const node of nodes.filter((n) => n.alive)) {
    if (!(await node.admin.cluster("INFO")).includes("cluster_state:ok")) return undefined;
    const replication = await node.admin.info("replication");
    if (replication.includes("role:slave") && replication.includes("master_link_status:up")) linked += 1;
  }
  return linked >= linkedReplicas ? true : undefined;
}

/** A key whose slot `node` serves (asked of the node itself: CLUSTER KEYSLOT, and its own slot ranges). */
/** A key whose slot `node` serves (CLUSTER KEYSLOT asked of the node itself). */
async function keyServedBy(node: PrivateClusterNode): Promise<string> {
  const self = (await topologyOf([node])).find((n) => n.port === node.port);
  for (let n = 0; n < 10_000; n++) {
    const key = `hookyard-fence-${n}`;
    const slot = Number(await node.admin.cluster("KEYSLOT", key));
    if (self?.ranges.some(([low, high]) => slot >= low && slot <= high)) return key;
  }
  throw new Error(`127.0.0.1:${node.port} serves no slot`);
}

async function topologyOf(nodes: readonly PrivateClusterNode[]): Promise<ClusterNodeView[]> {
  const live = nodes.find((n) => n.alive);
  if (live === undefined) throw new Error("no live node in the private cluster");
  const text = (await live.admin.cluster("NODES")) as string;
  return text
    .trim()
    .split("\n")
    .map((line) => {
      // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> ...
      const [id = "", address = "", flags = "", master = "-", , , , , ...slots] = line.split(" ");
      const port = Number(address.split("@")[0]?.split(":")[1]);
      const ranges = slots
        .filter((range) => !range.startsWith("[")) // a migrating/importing slot
        .map((range) => {
          const [low = 0, high = low] = range.split("-").map(Number);
          return [low, high] as const;
        });
      const slotCount = ranges.reduce((sum, [low, high]) => sum + high - low + 1, 0);
      return {
        id,
        port,
        role: flags.includes("master") ? "master" : "replica",
        failed: flags.split(",").includes("fail"),
        ...(master === "-" ? {} : { masterId: master }),
        slots: slotCount,
        ranges,
      } as ClusterNodeView;
    });
}

/** A free port whose cluster bus port (+10000) is free too, below the ephemeral range. */
async function clusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 2_700);
    if ((await free(port)) && (await free(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

async function free(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}
