import {
  type DebugMessage,
  Duration,
  type Message,
  type PubSub,
  type Subscription,
  SubscriptionCloseBehaviors,
} from "@google-cloud/pubsub";
import {
  backoffDelay,
  createKeyLanes,
  type Deliver,
  HookyardError,
  isRetryable,
  type Source,
  type SourceContext,
  type SourceMessage,
} from "@hookyard/core";
import { assertSubscriptionExists, ensureSubscription } from "./admin.js";
import { createPubSubClient } from "./client.js";
import type { PubSubSourceConfig } from "./config.js";
import { grpcCode, translatePubSubError } from "./errors.js";
import { toSourceMessage } from "./source-message.js";

export interface PubSubSourceOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and closes it. */
  readonly client?: PubSub;
}

/** How long a key stays blocked after a nack while waiting for Pub/Sub to redeliver the nacked message. */
const KEY_BLOCK_MS = 30_000;
const REOPEN_INITIAL_MS = 500;
const REOPEN_MAX_MS = 30_000;

type Phase = "idle" | "starting" | "running" | "stopping" | "stopped";

/**
 * A Pub/Sub source: a streaming-pull subscriber whose flow control (maxMessages = maxInFlight, no excess) is the
 * back-pressure. Each message is acked only after `deliver` resolved; a retryable reject nacks it (Pub/Sub
 * redelivers), a poison message is dead-lettered and then acked. Messages with an ordering key are delivered one
 * at a time per key, in arrival order.
 */
export function createPubSubSource(
  config: PubSubSourceConfig,
  ctx: SourceContext,
  options: PubSubSourceOptions = {},
): Source {
  const log = ctx.logger;
  const lanes = createKeyLanes();
  /** Keys whose message was nacked: later messages of the key are nacked until that one comes back. */
  const blockedKeys = new Map<string, { readonly messageId: string; readonly until: number }>();
  const active = new Set<Promise<void>>();
  let phase: Phase = "idle";
  let client: PubSub | undefined;
  let subscription: Subscription | undefined;
  let deliver: Deliver | undefined;
  let subscriptionName = config.subscription;
  let reopenAttempt = 0;
  let reopenTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const onMessage = (message: Message): void => {
    reopenAttempt = 0;
    // While stopping, a message is parked: never settled here, so close() nacks it for redelivery elsewhere.
    if (phase !== "running") return;
    const key = message.orderingKey;
    if (key === undefined || key === "") {
      void track(message, undefined);
      return;
    }
    void lanes.run(key, () => track(message, key));
  };

  const track = async (message: Message, key: string | undefined): Promise<void> => {
    if (phase !== "running") return;
    if (key !== undefined && isBlockedBehind(key, message)) {
      message.nack();
      return;
    }
    const task = settle(message, key);
    active.add(task);
    try {
      await task;
    } finally {
      active.delete(task);
    }
  };

  /** Pub/Sub redelivers a nacked message and everything after it in its key: keep those in order. */
  const isBlockedBehind = (key: string, message: Message): boolean => {
    const block = blockedKeys.get(key);
    if (block === undefined) return false;
    if (block.messageId === message.id || Date.now() > block.until) {
      blockedKeys.delete(key);
      return false;
    }
    return true;
  };

  const settle = async (message: Message, key: string | undefined): Promise<void> => {
    const sourceMessage = toSourceMessage(message, ctx.sourceId, subscriptionName);
    if (sourceMessage.data.byteLength > config.maxMessageBytes) {
      await poison(
        message,
        sourceMessage,
        `message of ${sourceMessage.data.byteLength} bytes exceeds maxMessageBytes (${config.maxMessageBytes})`,
      );
      return;
    }
    let envelope: ReturnType<SourceContext["toEnvelope"]>;
    try {
      envelope = ctx.toEnvelope(sourceMessage);
    } catch (error) {
      await poison(message, sourceMessage, reasonOf(error));
      return;
    }
    try {
      await (deliver as Deliver)(envelope);
    } catch (error) {
      if (isRetryable(error)) {
        log.warn(
          { err: error, messageId: message.id, orderingKey: key },
          "pubsub deliver failed; nacking for redelivery",
        );
        if (key !== undefined) blockedKeys.set(key, { messageId: message.id, until: Date.now() + KEY_BLOCK_MS });
        message.nack();
      } else {
        await poison(message, sourceMessage, reasonOf(error));
      }
      return;
    }
    message.ack();
  };

  const poison = async (message: Message, sourceMessage: SourceMessage, reason: string): Promise<void> => {
    try {
      await ctx.deadLetter(sourceMessage, reason);
    } catch (error) {
      log.error({ err: error, messageId: message.id }, "pubsub dead-letter failed; nacking for redelivery");
      message.nack();
      return;
    }
    log.warn({ messageId: message.id, reason }, "pubsub message dead-lettered");
    message.ack();
  };

  const onError = (error: Error): void => {
    const translated = translatePubSubError(error, `subscription ${subscriptionName}`);
    log.error({ err: translated, grpcCode: grpcCode(error) }, "pubsub subscriber error");
  };

  const onDebug = (message: DebugMessage): void => {
    // The client retries its streams by itself; an interrupted stream is still worth an operator's attention.
    if (message.error !== undefined) {
      log.warn({ detail: message.message, grpcCode: grpcCode(message.error) }, "pubsub stream interrupted; retrying");
    } else {
      log.debug({ detail: message.message }, "pubsub subscriber");
    }
  };

  const onClose = (): void => {
    if (phase !== "running" || subscription === undefined) return;
    // The subscriber gave up (a non-retryable status or no server for minutes): open it again after a backoff.
    const delay = backoffDelay(++reopenAttempt, REOPEN_INITIAL_MS, REOPEN_MAX_MS);
    log.warn({ subscription: subscriptionName, retryInMs: delay }, "pubsub subscriber closed; reopening");
    const current = subscription;
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      if (phase === "running") current.open();
    }, delay);
  };

  const release = async (): Promise<void> => {
    const current = subscription;
    subscription = undefined;
    if (current !== undefined) {
      try {
        await current.close();
      } catch (error) {
        log.warn({ err: error }, "pubsub subscriber close failed");
      }
      current.removeAllListeners();
    }
    if (client !== undefined && options.client === undefined) {
      try {
        await client.close();
      } catch (error) {
        log.warn({ err: error }, "pubsub client close failed");
      }
    }
    client = undefined;
  };

  return {
    async start(handler) {
      if (phase !== "idle") throw new HookyardError("SOURCE_STATE", "pubsub source was already started");
      phase = "starting";
      client = options.client ?? createPubSubClient(config);
      try {
        if (config.create.enabled) await ensureSubscription(client, config);
        await assertSubscriptionExists(client, config.subscription);
      } catch (error) {
        await release();
        phase = phase === "starting" ? "idle" : phase;
        throw error;
      }
      // stop() was called while starting.
      if (phase !== "starting") return;
      const current = client.subscription(config.subscription, {
        flowControl: {
          maxMessages: config.maxInFlight,
          maxBytes: config.maxInFlightBytes,
          allowExcessMessages: false,
        },
        maxExtensionTime: Duration.from({ milliseconds: config.maxExtension }),
        streamingOptions: { maxStreams: config.streams },
        closeOptions: {
          behavior: SubscriptionCloseBehaviors.NackImmediately,
          timeout: Duration.from({ milliseconds: config.stopTimeout }),
        },
      });
      subscription = current;
      subscriptionName = current.name;
      deliver = handler;
      phase = "running";
      current.on("error", onError);
      current.on("debug", onDebug);
      current.on("close", onClose);
      current.on("message", onMessage);
      log.info({ subscription: subscriptionName, maxInFlight: config.maxInFlight }, "pubsub source started");
    },

    stop() {
      stopping ??= (async () => {
        phase = "stopping";
        if (reopenTimer !== undefined) clearTimeout(reopenTimer);
        // Settle what is being delivered (acks included) before the subscriber closes and nacks the rest.
        while (active.size > 0) await Promise.allSettled([...active]);
        await release();
        phase = "stopped";
      })();
      return stopping;
    },
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
