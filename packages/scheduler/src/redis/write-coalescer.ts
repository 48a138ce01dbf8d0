import type { Socket } from "node:net";
import { Cluster } from "ioredis";
import type { RedisClient } from "./connection.js";

/**
 * Sends the commands one turn of the event loop writes to the connection as one write: the first call of a turn
 * corks the socket and the check phase of the same turn uncorks it, so e.g. a worker's `complete` and the claim
 * it makes at the same moment leave in one writev and Redis reads them in one go. At a quiet rate each write is
 * a syscall that runs the loopback TCP stack and wakes Redis, on both sides, i.e. most of a store call's cost;
 * the commands keep their own replies, errors and timeouts. Nothing is held past the turn. A Cluster client
 * writes to a connection per node and is left alone.
 */
export function createWriteCoalescer(client: RedisClient): () => void {
  if (client instanceof Cluster) return () => {};
  let corked: Socket | undefined;
  const uncork = () => {
    corked?.uncork();
    corked = undefined;
  };
  return () => {
    if (corked !== undefined) return;
    const stream: Socket | undefined = client.stream;
    if (stream === undefined || !stream.writable) return;
    corked = stream;
    stream.cork();
    setImmediate(uncork);
  };
}
