import type { ConnectorConfigProblem } from "@hookyard/core";
import type { PubSubSourceConfig } from "./config.js";

/** What `hookyard validate` checks without Pub/Sub; `start` refuses the same configs (ensureSubscription). */
export function validatePubSubSource(config: PubSubSourceConfig): readonly ConnectorConfigProblem[] {
  return config.create.enabled && config.create.topic === null
    ? [
        {
          key: "create.topic",
          expected: "the topic the created subscription reads (create.enabled is on)",
          found: "nothing",
        },
      ]
    : [];
}
