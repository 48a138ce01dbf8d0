import { createPayloadValidator, type EventType, type PayloadProblem } from "@hookyard/admin";
import type { Envelope } from "@hookyard/core";
import type { Logger } from "pino";
import type { Metrics } from "../metrics.js";

/**
 * Checks an event's payload against its catalogue type before it is accepted. Answers the problem only when the
 * type is validated `reject` (the caller refuses the event: 422 at ingest, the rejected log at a source); a
 * `warn` type's failure is logged and counted and the event goes on.
 */
export type PayloadCheck = (envelope: Envelope, source: string) => PayloadProblem | undefined;

export function createPayloadCheck(deps: {
  readonly eventType: (name: string) => EventType | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
}): PayloadCheck {
  const validator = createPayloadValidator(deps.eventType);
  return (envelope, source) => {
    const problem = validator.check(envelope);
    if (problem === undefined) return undefined;
    deps.metrics.payloadSchemaFailures.inc({ source, type: problem.type, mode: problem.mode });
    if (problem.mode === "warn") {
      // Not per-message debug: the operator asked to hear about these, and the metric says how often.
      deps.logger.warn(
        { source, eventId: envelope.id, type: problem.type, path: problem.path, problem: problem.message },
        "payload does not match its event type's schema",
      );
      return undefined;
    }
    return problem;
  };
}
