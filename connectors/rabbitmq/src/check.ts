import type { Context } from "@hookyard/core";
import { connectOnce } from "./client.js";
import type { AmqpSinkConfig, AmqpSourceConfig } from "./config.js";
import { translateAmqpError } from "./errors.js";

async function withChannel(
  config: AmqpSourceConfig | AmqpSinkConfig,
  what: string,
  probe: (channel: Awaited<ReturnType<Awaited<ReturnType<typeof connectOnce>>["createChannel"]>>) => Promise<unknown>,
): Promise<void> {
  let connection: Awaited<ReturnType<typeof connectOnce>> | undefined;
  try {
    connection = await connectOnce(config, `hookyard check`);
    connection.on("error", () => undefined);
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    await probe(channel);
  } catch (error) {
    throw translateAmqpError(error, what);
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Health probe of a source: the broker answers and the queue exists (never declares anything). */
export function checkAmqpSource(config: AmqpSourceConfig, _ctx: Context): Promise<void> {
  return withChannel(config, "rabbitmq source check", (channel) => channel.checkQueue(config.queue));
}

/** Health probe of a sink: the broker answers and the exchange exists (the default exchange always does). */
export function checkAmqpSink(config: AmqpSinkConfig, _ctx: Context): Promise<void> {
  return withChannel(config, "rabbitmq sink check", (channel) =>
    config.exchange === "" ? Promise.resolve() : channel.checkExchange(config.exchange),
  );
}
