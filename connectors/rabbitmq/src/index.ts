import type { ConnectorDefinition } from "@hookyard/core";
import { checkAmqpSink, checkAmqpSource } from "./check.js";
import { type AmqpSinkConfig, type AmqpSourceConfig, amqpSinkSchema, amqpSourceSchema } from "./config.js";
import { createAmqpSink } from "./sink.js";
import { createAmqpSource } from "./source.js";
import { validateAmqpSink } from "./validate-config.js";

export { checkAmqpSink, checkAmqpSource } from "./check.js";
export { connectOnce, connectRecovering } from "./client.js";
export type { AmqpConnectionConfig, AmqpSinkConfig, AmqpSourceConfig } from "./config.js";
export { amqpSinkSchema, amqpSourceSchema } from "./config.js";
export { translateAmqpError } from "./errors.js";
export { createAmqpSink, publishOptions } from "./sink.js";
export { createAmqpSource } from "./source.js";

/** Hookyard's RabbitMQ connector: `type: rabbitmq` in the config. */
export const connector: ConnectorDefinition<AmqpSourceConfig, AmqpSinkConfig> = {
  type: "rabbitmq",
  source: { schema: amqpSourceSchema, check: checkAmqpSource, create: createAmqpSource },
  sink: { schema: amqpSinkSchema, validate: validateAmqpSink, check: checkAmqpSink, create: createAmqpSink },
};
