import { Cluster, type Redis } from "ioredis";
import type { SchedulerLogger } from "../logger.js";
import { closeClient, type RedisClient } from "./connection.js";

export interface WakeSubscriber {
  /**
   * Adds a listener, called with the channel that woke and the message (the scripts publish the time the work
   * became due; "" after a reconnect); the subscriber connection is opened with the first one. Returns the
   * unsubscribe.
   */
  add(listener: (channel: string, message: string) => void): () => void;
  /**
   * Settles once the SUBSCRIBE of the first listener went through (or failed), so a call made after `add`
   * cannot PUBLISH before the subscription exists. Undefined when there is nothing to wait for.
   */
  subscribing(): Promise<void> | undefined;
  close(): Promise<void>;
}

/**
 * Listens to the store's wake channels (one per shard; one connection SUBSCRIBEs to all of them), which the enqueue, replay, enable and complete scripts PUBLISH to, on one
 * extra connection opened only when a listener is added. On a Cluster, ioredis subscribes through one node; a
 * PUBLISH reaches every node over the cluster bus. After the subscriber reconnects, listeners are called once,
 * since wake-ups sent while it was away are lost.
 */
export function createWakeSubscriber(
  client: RedisClient,
  channels: readonly string[],
  logger: SchedulerLogger,
): WakeSubscriber {
  const listeners = new Set<(channel: string, message: string) => void>();
  const known = new Set(channels);
  let subscriber: RedisClient | undefined;
  let readyBefore = false;
  let subscribing: Promise<void> | undefined;

  function notify(channel: string, message: string): void {
    for (const listener of [...listeners]) listener(channel, message);
  }

  function open(): RedisClient {
    // The store's own clients have no offline queue; the subscriber needs one to subscribe while connecting.
    const sub =
      client instanceof Cluster
        ? client.duplicate(undefined, { enableOfflineQueue: true })
        : (client as Redis).duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    sub.on("message", (from: string, message: string) => {
      if (known.has(from)) notify(from, message);
    });
    sub.on("ready", () => {
      if (readyBefore) for (const channel of channels) notify(channel, "");
      readyBefore = true;
    });
    sub.on("error", (error: Error) => logger.debug({ err: error }, "wake subscriber connection error"));
    subscribing = sub.subscribe(...channels).then(
      () => {
        subscribing = undefined;
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
    async close() {
      listeners.clear();
      const sub = subscriber;
      subscriber = undefined;
      if (sub) await closeClient(sub);
    },
  };
}
