import { type ChannelModel, connect, type Options, type RecoveringChannelModel, type SocketOptions } from "amqplib";
import type { Logger } from "pino";
import type { AmqpConnectionConfig } from "./config.js";

function connectionTarget(config: AmqpConnectionConfig): string {
  const url = new URL(config.url);
  if (config.username) url.username = encodeURIComponent(config.username);
  if (config.password) url.password = encodeURIComponent(config.password);
  // amqplib reads the heartbeat from the URL.
  url.searchParams.set("heartbeat", String(config.heartbeat));
  return url.toString();
}

function socketOptions(config: AmqpConnectionConfig, name: string): SocketOptions {
  return {
    timeout: config.connectionTimeout,
    clientProperties: { connection_name: name, product: "hookyard" },
    rejectUnauthorized: config.tls.rejectUnauthorized,
    ...(config.tls.ca ? { ca: [config.tls.ca] } : {}),
    ...(config.tls.cert ? { cert: config.tls.cert } : {}),
    ...(config.tls.key ? { key: config.tls.key } : {}),
  };
}

/**
 * A connection that reconnects by itself (amqplib's recovery: doubling, jittered, capped delay, never giving up
 * once connected). `setup` runs after every (re)connect and opens the channels/consumers again; when it throws,
 * the connection is closed and retried.
 */
export async function connectRecovering(
  config: AmqpConnectionConfig,
  logger: Logger,
  name: string,
  setup: (model: ChannelModel) => Promise<void>,
): Promise<RecoveringChannelModel> {
  const model = await connect(connectionTarget(config), {
    ...socketOptions(config, name),
    recovery: {
      initialDelay: config.reconnect.initialDelay,
      maxDelay: config.reconnect.maxDelay,
      jitter: 0.3,
      maxRetries: Number.POSITIVE_INFINITY,
      initialMaxRetries: Math.max(0, config.reconnect.initialAttempts - 1),
      waitForConnect: false,
      setup,
    },
  });
  model.on("disconnect", (error: Error) => logger.warn({ err: error }, "rabbitmq connection lost"));
  model.on("connect-failed", (error: Error) => logger.warn({ err: error }, "rabbitmq connection attempt failed"));
  model.on("reconnect-scheduled", (info: { attempt: number; delay: number }) =>
    logger.info({ attempt: info.attempt, waitMs: info.delay }, "rabbitmq reconnect scheduled"),
  );
  model.on("connect", () => logger.info({ name }, "rabbitmq connected"));
  model.on("blocked", (reason: string) => logger.warn({ reason }, "rabbitmq connection blocked by the broker"));
  model.on("error", (error: Error) => logger.warn({ err: error }, "rabbitmq connection error"));
  try {
    await model.waitForConnect();
  } catch (error) {
    await model.close().catch(() => undefined);
    throw error;
  }
  return model;
}

/** A plain one-off connection, for checks. */
export function connectOnce(config: AmqpConnectionConfig, name: string): Promise<ChannelModel> {
  return connect(connectionTarget(config), socketOptions(config, name));
}

export type { Options };
