import { Cluster, Redis } from "ioredis";
import { redisUnavailable } from "./redis-errors.js";

/** A standalone client or a Redis Cluster client: the store runs the same scripts on both. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis when the store creates (and owns) its client. */
export type RedisConnection = RedisClient | string | ClusterConnection;

/** A Redis Cluster's seed nodes, and the credentials and TLS every node connection uses. */
export interface ClusterConnection {
  readonly clusterNodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  /** TLS to every node (with the system's CAs). */
  readonly tls?: boolean;
}

export interface OwnedClient {
  readonly client: RedisClient;
  /** Whether the store created the client (and so closes it). */
  readonly owned: boolean;
}

/**
 * Opens the client. Clients the store creates fail fast while disconnected: no offline queue, no per-request
 * retries, a command timeout; a call made while Redis is down rejects with REDIS_UNAVAILABLE so the worker backs
 * off, instead of piling commands up in memory. ioredis keeps reconnecting in the background.
 */
export function openClient(connection: RedisConnection, commandTimeoutMs: number): OwnedClient {
  if (connection instanceof Redis || connection instanceof Cluster) return { client: connection, owned: false };
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs };
  if (typeof connection === "string") return { client: new Redis(connection, options), owned: true };
  const nodes = connection.clusterNodes.map((node) => ({ host: node.host, port: node.port }));
  const redisOptions = {
    ...options,
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(connection.tls === true ? { tls: {} } : {}),
  };
  return { client: new Cluster(nodes, { enableOfflineQueue: false, redisOptions }), owned: true };
}

/** One wait per connecting client, whatever the number of callers (each used to add two listeners). */
const readiness = new WeakMap<RedisClient, Promise<void>>();

/**
 * Resolves once the client is ready. While it is (re)connecting a call waits at most `waitMs` (callers arriving
 * during one connect share the first caller's wait: a burst of enqueues at start-up must not pile listeners on the
 * client); when it is known to be disconnected, or was closed, the call fails at once with REDIS_UNAVAILABLE.
 */
export async function whenReady(client: RedisClient, waitMs: number): Promise<void> {
  const status = client.status;
  if (status === "ready") return;
  if (status === "end" || status === "close" || status === "reconnecting" || status === "disconnecting") {
    throw redisUnavailable(`redis is disconnected (${status})`);
  }
  let waiting = readiness.get(client);
  if (waiting === undefined) {
    if (status === "wait") client.connect().catch(() => undefined);
    waiting = waitForReady(client, waitMs).finally(() => readiness.delete(client));
    readiness.set(client, waiting);
  }
  return waiting;
}

function waitForReady(client: RedisClient, waitMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onEnd = (): void => {
      cleanup();
      reject(redisUnavailable("redis connection closed"));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(redisUnavailable(`redis not ready after ${waitMs} ms (${client.status})`));
    }, waitMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("end", onEnd);
    };
    client.on("ready", onReady);
    client.on("end", onEnd);
  });
}

/** Closes a client the store owns: politely when connected, at once otherwise. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === "end") return;
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: disconnect below
    }
  }
  client.disconnect();
}
