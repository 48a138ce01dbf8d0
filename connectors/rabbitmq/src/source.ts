import {
  backoffDelay,
  configError,
  type Deliver,
  type Envelope,
  HookyardError,
  isRetryable,
  type Source,
  type SourceContext,
  type SourceMessage,
  sleep,
  withTimeout,
} from "@hookyard/core";
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from "amqplib";
import { type AckCoalescer, createAckCoalescer } from "./ack-coalescer.js";
import { connectRecovering } from "./client.js";
import type { AmqpSourceConfig } from "./config.js";
import { translateAmqpError } from "./errors.js";
import { toSourceMessage } from "./to-source-message.js";

const CLOSE_TIMEOUT_MS = 5_000;
/** Redelivery counts kept for the backoff of requeued messages; oldest forgotten first. */
const MAX_TRACKED_RETRIES = 10_000;

type Outcome = "ack" | "requeue" | "poison-settled";
type Acks = AckCoalescer<ConsumeMessage>;

/**
 * A RabbitMQ queue source. The broker pushes at most `maxInFlight` unacked messages (prefetch); each is handed to
 * `deliver` and acked only after it resolved (acks are coalesced per event-loop turn: ack-coalescer.ts). A
 * retryable failure is requeued (nack with requeue) after a backoff that grows with each redelivery of that
 * message; a poison message is dead-lettered in Hookyard, then acked, or rejected to the queue's own dead-letter
 * exchange when `poison: reject`. The connection recovers by itself; the channel and consumer are opened again
 * after every reconnect.
 */
export function createAmqpSource(config: AmqpSourceConfig, ctx: SourceContext): Source {
  const logger = ctx.logger;
  const what = `rabbitmq source ${ctx.sourceId}`;
  const bindings = checkBindings(config.bindings);
  const messageOptions = {
    source: `rabbitmq:${ctx.sourceId}`,
    keyHeader: config.keyHeader,
    routingKeyHeader: config.routingKeyHeader,
  };
  const stopController = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const retries = new Map<string, number>();
  const keyTails = new Map<string, Promise<void>>();
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let deliver: Deliver | undefined;
  let model: RecoveringChannelModel | undefined;
  let current: { channel: Channel; consumerTag: string; connection: ChannelModel; acks: Acks } | undefined;
  let stopped: Promise<void> | undefined;
  let starting: Promise<RecoveringChannelModel> | undefined;

  const onContextAbort = () => stopController.abort();
  ctx.signal.addEventListener("abort", onContextAbort, { once: true });

  /** Runs after every (re)connect: channel, queue (checked, or declared when opted in), bindings, prefetch, consume. */
  async function setup(connection: ChannelModel): Promise<void> {
    if (state !== "running") return;
    const channel = await connection.createChannel();
    // The channel gone drops its pending acks: the broker requeues those messages itself (same dedup key).
    const acks: Acks = createAckCoalescer<ConsumeMessage>(channel, (error, action) =>
      logger.debug({ err: error, action }, "rabbitmq settle on a closed channel"),
    );
    channel.on("error", (error: Error) => logger.warn({ err: error }, "rabbitmq channel error"));
    channel.on("close", () => {
      acks.close();
      if (current?.channel !== channel) return;
      current = undefined;
      if (state !== "running") return;
      // A channel can die alone (a broker-side error); closing the connection makes recovery open everything again.
      logger.warn({ queue: config.queue }, "rabbitmq channel closed, reconnecting");
      connection.close().catch(() => undefined);
    });
    if (config.createQueue.enabled) {
      await channel.assertQueue(config.queue, {
        durable: config.createQueue.durable,
        ...(config.createQueue.deadLetterExchange ? { deadLetterExchange: config.createQueue.deadLetterExchange } : {}),
      });
    } else {
      await channel.checkQueue(config.queue);
    }
    for (const binding of bindings) await channel.bindQueue(config.queue, binding.exchange, binding.routingKey);
    await channel.prefetch(config.maxInFlight);
    const ok = await channel.consume(config.queue, (message) => onMessage(acks, connection, message), {
      noAck: false,
    });
    current = { channel, consumerTag: ok.consumerTag, connection, acks };
    logger.info({ queue: config.queue, prefetch: config.maxInFlight }, "rabbitmq consumer started");
  }

  function onMessage(acks: Acks, connection: ChannelModel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted): reconnect, and setup reports the queue until it is back.
      logger.warn({ queue: config.queue }, "rabbitmq consumer cancelled by the broker");
      if (state === "running") connection.close().catch(() => undefined);
      return;
    }
    acks.received(message);
    if (state !== "running" || deliver === undefined) {
      settle(acks, message, "requeue");
      return;
    }
    const work = handle(acks, message, deliver).catch((error: unknown) => {
      logger.error({ err: error }, "rabbitmq message handling failed unexpectedly");
      settle(acks, message, "requeue");
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function handle(acks: Acks, raw: ConsumeMessage, to: Deliver): Promise<void> {
    const message = toSourceMessage(raw, messageOptions);
    if (message.data.byteLength > config.maxMessageBytes) {
      const reason = `message of ${message.data.byteLength} bytes is over maxMessageBytes (${config.maxMessageBytes})`;
      return finish(acks, raw, await poison(message, reason));
    }
    let envelope: Envelope;
    try {
      envelope = ctx.toEnvelope(message);
    } catch (error) {
      return finish(acks, raw, await poison(message, reasonOf(error)));
    }
    const key = envelope.key;
    if (key === undefined) return finish(acks, raw, await attempt(message, envelope, to));
    // Same key as a message still in flight: wait for it so the key's messages reach deliver in order.
    const previous = keyTails.get(key) ?? Promise.resolve();
    const run = previous.then(async () => finish(acks, raw, await attempt(message, envelope, to)));
    keyTails.set(key, run);
    await run;
    if (keyTails.get(key) === run) keyTails.delete(key);
  }

  async function attempt(message: SourceMessage, envelope: Envelope, to: Deliver): Promise<Outcome> {
    const id = message.defaults?.idempotencyKey ?? envelope.id;
    try {
      await to(envelope);
      retries.delete(id);
      return "ack";
    } catch (error) {
      if (!isRetryable(error)) {
        retries.delete(id);
        return poison(message, reasonOf(error));
      }
      const count = (retries.get(id) ?? 0) + 1;
      retries.delete(id);
      retries.set(id, count);
      if (retries.size > MAX_TRACKED_RETRIES) retries.delete(retries.keys().next().value as string);
      const wait = backoffDelay(count, config.retryBackoff.initial, config.retryBackoff.max);
      logger.warn(
        { err: error, id: envelope.id, redelivery: count, waitMs: wait },
        "rabbitmq delivery failed, requeueing",
      );
      // Holding the message for the backoff keeps its prefetch slot, so a failing gateway slows consumption.
      await sleep(wait, stopController.signal);
      return "requeue";
    }
  }

  /** Dead-letters in Hookyard (retrying while that fails); then the message is acked or rejected per `poison`. */
  async function poison(message: SourceMessage, reason: string): Promise<Outcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ctx.deadLetter(message, reason);
        logger.warn({ id: message.defaults?.id, reason }, "rabbitmq message dead-lettered");
        return "poison-settled";
      } catch (error) {
        if (stopController.signal.aborted) return "requeue";
        const wait = backoffDelay(attempt, config.retryBackoff.initial, config.retryBackoff.max);
        logger.warn({ err: error, attempt, waitMs: wait }, "rabbitmq dead-letter failed, retrying");
        if (!(await sleep(wait, stopController.signal))) return "requeue";
      }
    }
  }

  function finish(acks: Acks, message: ConsumeMessage, outcome: Outcome): void {
    if (outcome === "poison-settled") settle(acks, message, config.poison === "reject" ? "reject" : "ack");
    else settle(acks, message, outcome);
  }

  /**
   * Acks are coalesced and sent after this event-loop turn; nacks go out at once. On a closed channel nothing is
   * sent: the broker requeues the message by itself and it comes back (same dedup key).
   */
  function settle(acks: Acks, message: ConsumeMessage, action: "ack" | "requeue" | "reject"): void {
    if (action === "ack") acks.ack(message);
    else acks.nack(message, action === "requeue");
  }

  return {
    async start(to) {
      if (state !== "idle") throw new HookyardError("SOURCE_STATE", `${what} was already started`);
      deliver = to;
      state = "running";
      starting = connectRecovering(config, logger, `hookyard source ${ctx.sourceId}`, setup);
      try {
        model = await starting;
      } catch (error) {
        if (state === "running") state = "stopped";
        throw translateAmqpError(error, what);
      }
    },

    stop() {
      stopped ??= (async () => {
        state = "stopping";
        stopController.abort();
        ctx.signal.removeEventListener("abort", onContextAbort);
        // A start() still connecting finishes first, so its connection is the one closed below.
        model ??= await starting?.catch(() => undefined);
        const consumer = current;
        if (consumer !== undefined) {
          await withTimeout(
            consumer.channel.cancel(consumer.consumerTag),
            CLOSE_TIMEOUT_MS,
            () => new Error("cancel timed out"),
          ).catch((error: unknown) => logger.debug({ err: error }, "rabbitmq consumer cancel failed"));
        }
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        if (consumer !== undefined) {
          // The coalesced acks are written first; closing the channel (before the connection) then flushes them: a
          // connection close can overtake frames still queued on a channel.
          consumer.acks.flush();
          await withTimeout(
            consumer.channel.close(),
            CLOSE_TIMEOUT_MS,
            () => new Error("channel close timed out"),
          ).catch((error: unknown) => logger.debug({ err: error }, "rabbitmq channel close failed"));
        }
        current = undefined;
        if (model !== undefined) {
          await withTimeout(model.close(), CLOSE_TIMEOUT_MS, () => new Error("close timed out")).catch(
            (error: unknown) => logger.warn({ err: error }, "rabbitmq connection did not close cleanly"),
          );
        }
        state = "stopped";
      })();
      return stopped;
    },
  };
}

function checkBindings(bindings: readonly unknown[]): { exchange: string; routingKey: string }[] {
  return bindings.map((binding, index) => {
    const { exchange, routingKey } = (binding ?? {}) as { exchange?: unknown; routingKey?: unknown };
    if (typeof exchange !== "string" || exchange === "" || typeof routingKey !== "string") {
      throw configError(`bindings[${index}] must be { exchange: "<name>", routingKey: "<pattern>" }`);
    }
    return { exchange, routingKey };
  });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
