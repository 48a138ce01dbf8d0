import { connector as kafka } from "@hookyard/connector-kafka";
import { connector as pubsub } from "@hookyard/connector-pubsub";
import { connector as rabbitmq } from "@hookyard/connector-rabbitmq";
import { connector as sqs } from "@hookyard/connector-sqs";
import type { ConnectorDefinition } from "@hookyard/core";

/** The connectors that ship with Hookyard, by `type`. Any other type is loaded as an npm package by its name. */
export const builtInConnectors: readonly ConnectorDefinition[] = [
  kafka,
  rabbitmq,
  pubsub,
  sqs,
] as ConnectorDefinition[];
