import type { ConnectorDefinition } from "@hookyard/core";

/**
 * A connector that ships with Hookyard: its `type`, and how to load it. A connector's package is imported only
 * when a config names its type: the broker SDKs together weigh ~40 MB of heap and ~100 MB of RSS (Pub/Sub's gRPC
 * stack and the Kafka client the most), which a gateway running one broker, or none, should not carry.
 */
export interface BuiltInConnector {
  readonly type: string;
  load(): Promise<ConnectorDefinition>;
}

/** A built-in entry: `load` imports the package (a literal specifier, so the build checks it exists). */
function builtIn(type: string, importPackage: () => Promise<{ connector: unknown }>): BuiltInConnector {
  return { type, load: async () => (await importPackage()).connector as ConnectorDefinition };
}

/** The connectors that ship with Hookyard, by `type`. Any other type is loaded as an npm package by its name. */
export const builtInConnectors: readonly BuiltInConnector[] = [
  builtIn("kafka", () => import("@hookyard/connector-kafka")),
  builtIn("rabbitmq", () => import("@hookyard/connector-rabbitmq")),
  builtIn("pubsub", () => import("@hookyard/connector-pubsub")),
  builtIn("sqs", () => import("@hookyard/connector-sqs")),
];

/** Every built-in connector, loaded: for what needs all their schemas (the config reference, the JSON Schema). */
export function loadBuiltInConnectors(): Promise<ConnectorDefinition[]> {
  return Promise.all(builtInConnectors.map((builtin) => builtin.load()));
}
