import type { IngressMetrics, IngressOutcome } from "./collaborators.js";

export interface IngressCounters extends IngressMetrics {
  get(routeId: string, outcome: IngressOutcome): number;
}

/** In-memory `IngressMetrics`, for tests and for a runtime without Prometheus. */
export function createIngressCounters(): IngressCounters {
  const counts = new Map<string, number>();
  return {
    count(routeId, outcome) {
      const key = `${routeId}\n${outcome}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    get: (routeId, outcome) => counts.get(`${routeId}\n${outcome}`) ?? 0,
  };
}
