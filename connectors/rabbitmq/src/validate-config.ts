import { type ConnectorConfigProblem, HookyardError } from "@hookyard/core";
import type { AmqpSinkConfig } from "./config.js";
import { compileRoutingKeyTemplate } from "./routing-key-template.js";

/** What `hookyard validate` checks without RabbitMQ: the routing-key template the sink compiles at start. */
export function validateAmqpSink(config: AmqpSinkConfig): readonly ConnectorConfigProblem[] {
  try {
    compileRoutingKeyTemplate(config.routingKey, "routingKey");
    return [];
  } catch (error) {
    if (!(error instanceof HookyardError)) throw error;
    return [
      { key: "routingKey", expected: "a template using {type}, {source}, {subject} or {key}", found: error.message },
    ];
  }
}
