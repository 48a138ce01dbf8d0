import type { ConnectorDefinition } from "@hookyard/core";
import { checkSqsQueue } from "./check.js";
import type { SqsSinkConfig, SqsSourceConfig } from "./config.js";
import { sqsSinkSchema, sqsSourceSchema } from "./config.js";
import { createSqsSink } from "./sink.js";
import { createSqsSource } from "./source.js";
import { validateSqsQueue, validateSqsSource } from "./validate-config.js";

export { PACKED_HEADERS } from "./attributes.js";
export { decodeBody, encodeBody } from "./body-codec.js";
export { checkSqsQueue } from "./check.js";
export { createSqsClient, sqsClientOptions } from "./client.js";
export type { BodyEncoding, SqsConnectionConfig, SqsSinkConfig, SqsSourceConfig } from "./config.js";
export { sqsSinkSchema, sqsSourceSchema } from "./config.js";
export { translateSqsError } from "./errors.js";
export type { QueueInfo } from "./queue.js";
export type { SqsSinkOptions } from "./sink.js";
export { createSqsSink } from "./sink.js";
export type { SqsSourceOptions } from "./source.js";
export { createSqsSource } from "./source.js";

/** AWS SQS (standard and FIFO queues): a queue as a source, a queue as a sink. */
export const connector: ConnectorDefinition<SqsSourceConfig, SqsSinkConfig> = {
  type: "sqs",
  source: {
    schema: sqsSourceSchema,
    validate: validateSqsSource,
    check: checkSqsQueue,
    create: (config, ctx) => createSqsSource(config, ctx),
  },
  sink: {
    schema: sqsSinkSchema,
    validate: validateSqsQueue,
    check: checkSqsQueue,
    create: (config, ctx) => createSqsSink(config, ctx),
  },
};
