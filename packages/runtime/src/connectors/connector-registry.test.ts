import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectorDefinition } from "@hookyard/core";
import { type BuiltInConnector, builtInConnectors, loadBuiltInConnectors } from "./builtin-connectors.js";
import { createConnectorRegistry } from "./connector-registry.js";

/** A built-in entry that counts its loads, so a test can see which packages a registry imported. */
function counted(type: string): BuiltInConnector & { loads: number } {
  const definition: ConnectorDefinition = {
    type,
    source: { schema: {}, create: () => ({ start: async () => {}, stop: async () => {} }) as never },
  };
  const entry = {
    type,
    loads: 0,
    async load() {
      entry.loads += 1;
      return definition;
    },
  };
  return entry;
}

describe("connector registry", () => {
  it("imports a built-in connector only when a config names its type, and once", async () => {
    const kafka = counted("kafka");
    const pubsub = counted("pubsub");
    const registry = createConnectorRegistry([kafka, pubsub]);
    assert.deepEqual(registry.builtins, ["kafka", "pubsub"]);
    assert.equal(kafka.loads + pubsub.loads, 0, "nothing loaded before a type is resolved");
    const [first, second] = await Promise.all([registry.resolve("kafka"), registry.resolve("kafka")]);
    assert.equal(first, second);
    assert.equal(kafka.loads, 1);
    assert.equal(pubsub.loads, 0, "an unnamed broker's SDK is never imported");
  });

  it("names the built-ins when a type is neither built in nor installed, suggesting a close one", async () => {
    const registry = createConnectorRegistry([counted("kafka")]);
    await assert.rejects(registry.resolve("kafak"), (error: Error & { code?: string }) => {
      assert.equal(error.code, "CONNECTOR_NOT_FOUND");
      assert.match(error.message, /is not built in \(kafka\)/);
      assert.match(error.message, /did you mean "kafka"\?/);
      return true;
    });
  });

  it("ships kafka, rabbitmq, pubsub and sqs, each loading the definition of its own type", async () => {
    const loaded = await loadBuiltInConnectors();
    assert.deepEqual(
      loaded.map((definition) => definition.type),
      builtInConnectors.map((builtin) => builtin.type),
    );
    assert.deepEqual(builtInConnectors.map((builtin) => builtin.type).sort(), ["kafka", "pubsub", "rabbitmq", "sqs"]);
    for (const definition of loaded) assert.ok(definition.source && definition.sink, `${definition.type}: both sides`);
  });
});
