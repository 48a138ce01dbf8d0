/**
 * Operator endpoints are queued in the scheduler like customer endpoints, under ids of their own namespace: an
 * alert about an endpoint in it is never delivered (an operator endpoint's failures must not raise alerts about
 * themselves without end), and a customer endpoint can never be named like one.
 */
export const OPERATOR_ENDPOINT_PREFIX = "operator:";

/** The owner of operator endpoints (and of their deliveries in the history). */
export const OPERATOR_OWNER = "hookyard";

export function operatorEndpointId(configId: string): string {
  return `${OPERATOR_ENDPOINT_PREFIX}${configId}`;
}

export function isOperatorEndpoint(endpointId: string): boolean {
  return endpointId.startsWith(OPERATOR_ENDPOINT_PREFIX);
}
