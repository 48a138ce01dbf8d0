import type { ConnectorConfigProblem } from "@hookyard/core";
import type { KafkaSourceConfig } from "./config.js";

/** What `hookyard validate` checks without a broker: the same rule `start` enforces (ensureTopics). */
export function validateKafkaSource(config: KafkaSourceConfig): readonly ConnectorConfigProblem[] {
  return config.topics.length === 0
    ? [{ key: "topics", expected: "at least one topic to consume", found: "an empty list" }]
    : [];
}
