/** The operator alerts Hookyard raises, and an operator endpoint can ask for (`operator.endpoints[].events`). */
export const OPERATOR_EVENT_TYPES = [
  "endpoint.disabled",
  "endpoint.breaker.opened",
  "endpoint.breaker.closed",
  "delivery.dead",
  "history.outbox.filling",
  "history.outbox.shedding",
] as const;

export type OperatorEventType = (typeof OPERATOR_EVENT_TYPES)[number];
