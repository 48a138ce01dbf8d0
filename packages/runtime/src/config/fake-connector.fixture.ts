import type { ConnectorDefinition, Sink, Source } from "@hookyard/core";

/**
 * A connector definition for config tests: real convict schemas (a required key, a sensitive key, a duration),
 * no broker behind them.
 */
export const fakeConnector: ConnectorDefinition = {
  type: "fake",
  source: {
    schema: {
      topic: { doc: "Topic to read.", format: String, default: null },
      password: { doc: "Broker password.", format: String, default: "", sensitive: true },
      pollInterval: { doc: "How often to poll.", format: "duration", default: 1000 },
      batch: { size: { doc: "Messages per batch.", format: "nat", default: 10 } },
    },
    create: (): Source => ({ start: async () => {}, stop: async () => {} }),
  },
  sink: {
    schema: { queue: { doc: "Queue to publish to.", format: String, default: null } },
    create: (): Sink => ({ send: async () => {}, stop: async () => {} }),
  },
};

export const sinkOnlyConnector: ConnectorDefinition = {
  type: "sink-only",
  sink: fakeConnector.sink as NonNullable<ConnectorDefinition["sink"]>,
};

export function resolveFakeConnector(type: string): ConnectorDefinition {
  if (type === "fake") return fakeConnector;
  if (type === "sink-only") return sinkOnlyConnector;
  throw new Error(
    `connector type ${JSON.stringify(type)} is not built in (fake, sink-only) and no npm package has that name`,
  );
}
