import type { ConnectorDefinition } from "@hookyard/core";
import { checkKafkaSink, checkKafkaSource } from "./check.js";
import { type KafkaSinkConfig, type KafkaSourceConfig, kafkaSinkSchema, kafkaSourceSchema } from "./config.js";
import { createKafkaSink } from "./sink.js";
import { createKafkaSource } from "./source.js";
import { validateKafkaSource } from "./validate-config.js";

export { checkKafkaSink, checkKafkaSource } from "./check.js";
export type { KafkaConnectionConfig, KafkaSinkConfig, KafkaSourceConfig } from "./config.js";
export { kafkaSinkSchema, kafkaSourceSchema } from "./config.js";
export { translateKafkaError } from "./errors.js";
export { createKafkaSink, type KafkaSink, toKafkaRecord } from "./sink.js";
export { createKafkaSource } from "./source.js";

/** Hookyard's Kafka connector: `type: kafka` in the config. */
export const connector: ConnectorDefinition<KafkaSourceConfig, KafkaSinkConfig> = {
  type: "kafka",
  source: {
    schema: kafkaSourceSchema,
    validate: validateKafkaSource,
    check: checkKafkaSource,
    create: createKafkaSource,
  },
  sink: { schema: kafkaSinkSchema, check: checkKafkaSink, create: createKafkaSink },
};
