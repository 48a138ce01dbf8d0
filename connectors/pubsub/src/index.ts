import type { ConnectorDefinition } from "@hookyard/core";
import { checkPubSubSink, checkPubSubSource } from "./check.js";
import type { PubSubSinkConfig, PubSubSourceConfig } from "./config.js";
import { pubsubSinkSchema, pubsubSourceSchema } from "./config.js";
import { createPubSubSink } from "./sink.js";
import { createPubSubSource } from "./source.js";
import { validatePubSubSource } from "./validate-config.js";

export { checkPubSubSink, checkPubSubSource } from "./check.js";
export { createPubSubClient, pubsubClientOptions } from "./client.js";
export type { PubSubConnectionConfig, PubSubSinkConfig, PubSubSourceConfig } from "./config.js";
export { pubsubSinkSchema, pubsubSourceSchema } from "./config.js";
export { translatePubSubError } from "./errors.js";
export type { PubSubSinkOptions } from "./sink.js";
export { createPubSubSink } from "./sink.js";
export type { PubSubSourceOptions } from "./source.js";
export { createPubSubSource } from "./source.js";

/** Google Cloud Pub/Sub: a subscription as a source, a topic as a sink. */
export const connector: ConnectorDefinition<PubSubSourceConfig, PubSubSinkConfig> = {
  type: "pubsub",
  source: {
    schema: pubsubSourceSchema,
    validate: validatePubSubSource,
    check: checkPubSubSource,
    create: (config, ctx) => createPubSubSource(config, ctx),
  },
  sink: {
    schema: pubsubSinkSchema,
    check: checkPubSubSink,
    create: (config, ctx) => createPubSubSink(config, ctx),
  },
};
