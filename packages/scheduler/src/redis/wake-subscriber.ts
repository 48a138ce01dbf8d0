import { Cluster, type Redis } from "ioredis";
import type { SchedulerLogger } from "../logger.js";
import { closeClient, type RedisClient } from "./connection.js";

export interface WakeSubscriber {
  /**
   * Adds a listener, called with the channel that woke and the message (the scripts publish the time the work
   * they scheduled becomes due; "" after a resubscription, "sync" after an endpoint sync); the subscriber
   * connection is opened with the first one. Returns the unsubscribe.
   */
  add(listener: (channel: string, message: string) => void): () => void;
  /**
   * Settles once the SSUBSCRIBE of the first listener went through (or failed), so a call made after `add`
   * cannot SPUBLISH before the subscription exists. Undefined when there is nothing to wait for.
   */
  subscribing(): Promise<void> | undefined;
  /**
   * Listens to one more channel on the same connection (a worker's push channel: enqueue.lua SPUBLISHes the
   * leases it made for that worker there). Standalone Redis only: undefined on a Cluster. `ready` settles true
   * once the SSUBSCRIBE went through (false if it failed); ioredis subscribes again after a reconnect, and a
   * message sent while the connection was away had no receiver, which the enqueue sees (it queues instead).
   */
  addChannel(
    channel: string,
    listener: (message: string) => void,
  ): { ready: Promise<boolean>; remove(): void } | undefined;
  close(): Promise<void>;
}

/** The time a wake-up message names, or undefined ("" after a resubscription, "sync": look at everything now). */
export function wakeTime(message: string): number | undefined {
  const at = message === "" ? Number.NaN : Number(message);
  return Number.isFinite(at) ? at : undefined;
}

/**
 * Listens to the store's wake channels (one per shard), which the enqueue, replay, enable and complete scripts
 * SPUBLISH to: sharded pub/sub (Redis 7.0+), so on a Cluster a wake-up goes only to the nodes of the shard that
 * owns the channel's slot (the channel carries the shard's hash tag), where a PUBLISH is broadcast to every node
 * of the cluster and costs more the more masters there are.
 *
 * Opened only when a listener is added. On standalone Redis: one connection SSUBSCRIBEd to every channel
 * (ioredis subscribes again after a reconnect). On a Cluster: ioredis' sharded subscribers, one connection per
 * master serving a shard, each SSUBSCRIBEd to its shards' channels (one command per channel: an SSUBSCRIBE's
 * channels must share a slot); when a node is lost or slots move (a failover, a reshard), ioredis refreshes the
 * slot map and subscribes again on the new owner. Wake-ups sent while a subscription was away are lost, so after
 * each resubscription every listener is called once with "" (the store then looks at every shard again).
 */
export function createWakeSubscriber(
  client: RedisClient,
  channels: readonly string[],
  logger: SchedulerLogger,
): WakeSubscriber {
  const listeners = new Set<(channel: string, message: string) => void>();
  const known = new Set(channels);
  const extra = new Map<string, (message: string) => void>();
  let subscriber: RedisClient | undefined;
  let subscribed = false;
  let subscribing: Promise<void> | undefined;

  function notify(channel: string, message: string): void {
    for (const listener of [...listeners]) listener(channel, message);
  }

  /** After a resubscription: wake-ups may have been lost meanwhile. */
  function resubscribed(): void {
    if (subscribed) for (const channel of channels) notify(channel, "");
  }

  function open(): RedisClient {
    // The store's own clients have no offline queue; the subscriber needs one to subscribe while connecting.
    const cluster = client instanceof Cluster;
    const sub = cluster
      ? client.duplicate(undefined, { enableOfflineQueue: true, shardedSubscribers: true })
      : (client as Redis).duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    sub.on("smessage", (from: string, message: string) => {
      if (known.has(from)) notify(from, message);
      else extra.get(from)?.(message);
    });
    // Standalone: "ready" after a reconnect (ioredis has sent the SSUBSCRIBE again). Cluster: the client stays
    // ready while one node fails over; "subscribersReady" follows each rebuild of the sharded subscribers.
    sub.on(cluster ? "subscribersReady" : "ready", resubscribed);
    sub.on("error", (error: Error) => logger.debug({ err: error }, "wake subscriber connection error"));
    const subscribe = cluster
      ? Promise.all(channels.map((channel) => sub.ssubscribe(channel)))
      : sub.ssubscribe(...channels);
    subscribing = subscribe.then(
      () => {
        subscribing = undefined;
        subscribed = true;
      },
      (error: unknown) => {
        subscribing = undefined;
        logger.warn({ err: error }, "wake subscribe failed");
      },
    );
    return sub;
  }

  return {
    add(listener) {
      listeners.add(listener);
      subscriber ??= open();
      return () => {
        listeners.delete(listener);
      };
    },
    subscribing: () => subscribing,
    addChannel(channel, listener) {
      if (client instanceof Cluster) return undefined;
      extra.set(channel, listener);
      subscriber ??= open();
      const sub = subscriber;
      const ready = sub.ssubscribe(channel).then(
        () => true,
        (error: unknown) => {
          logger.warn({ err: error, channel }, "push channel subscribe failed");
          return false;
        },
      );
      return {
        ready,
        remove() {
          if (extra.get(channel) !== listener) return;
          // Messages published before the SUNSUBSCRIBE still arrive (before its reply): the listener takes them
          // until then (a stopping worker gives such leases back rather than leave them to expire).
          const forget = () => {
            if (extra.get(channel) === listener) extra.delete(channel);
          };
          if (subscriber === sub) sub.sunsubscribe(channel).then(forget, forget);
          else forget();
        },
      };
    },
    async close() {
      listeners.clear();
      extra.clear();
      const sub = subscriber;
      subscriber = undefined;
      if (sub) await closeClient(sub);
    },
  };
}
