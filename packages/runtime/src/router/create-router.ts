import {
  compileFilter,
  compileTypePattern,
  type Envelope,
  type Filter,
  HookyardError,
  type TypePattern,
} from "@hookyard/core";
import type { Subscription } from "../config/types.js";
import { filterDocument } from "./filter-document.js";

/** Chooses the endpoints an event goes to. */
export interface Router {
  /**
   * Ids of the endpoints of every enabled subscription whose types and filter match, deduplicated, in
   * subscription order. Whether an endpoint is enabled is the scheduler's business, not the router's.
   */
  route(envelope: Envelope): string[];
}

interface CompiledSubscription {
  readonly order: number;
  readonly endpoints: readonly string[];
  readonly filter?: Filter;
}

/** Distinct event types are few; their candidate lists are cached up to this many types, then the cache restarts. */
const CANDIDATE_CACHE_SIZE = 10_000;

/**
 * Compiles subscriptions once: exact types go into a map, globs into a list tried per new type, and the candidate
 * subscriptions of each type are cached, so routing cost is one map lookup plus the candidates' filters.
 * Throws CONFIG_INVALID for a bad glob or filter, or a subscription naming an unknown endpoint.
 */
export function createRouter(
  subscriptions: readonly Subscription[],
  endpoints: readonly { readonly id: string }[],
): Router {
  const known = new Set(endpoints.map((endpoint) => endpoint.id));
  const byExactType = new Map<string, CompiledSubscription[]>();
  const byGlob: { readonly pattern: TypePattern; readonly subscription: CompiledSubscription }[] = [];

  for (const [order, subscription] of subscriptions.entries()) {
    if (!subscription.enabled) continue;
    const where = `subscription ${JSON.stringify(subscription.id)}`;
    for (const id of subscription.endpoints) {
      if (!known.has(id)) {
        throw new HookyardError(
          "CONFIG_INVALID",
          `${where}: names endpoint ${JSON.stringify(id)}, which does not exist`,
        );
      }
    }
    const compiled: CompiledSubscription = {
      order,
      endpoints: [...subscription.endpoints],
      ...(subscription.filter === undefined ? {} : { filter: compileFilter(subscription.filter, `${where} filter`) }),
    };
    for (const type of subscription.types) {
      const pattern = compileTypePattern(type, `${where} types`);
      if (pattern.exact === undefined) {
        byGlob.push({ pattern, subscription: compiled });
      } else {
        const list = byExactType.get(pattern.exact) ?? [];
        if (!list.includes(compiled)) list.push(compiled);
        byExactType.set(pattern.exact, list);
      }
    }
  }

  const cache = new Map<string, readonly CompiledSubscription[]>();
  const candidatesFor = (type: string): readonly CompiledSubscription[] => {
    const cached = cache.get(type);
    if (cached !== undefined) return cached;
    const found = new Set<CompiledSubscription>(byExactType.get(type));
    for (const { pattern, subscription } of byGlob) if (pattern.matches(type)) found.add(subscription);
    const list = [...found].sort((a, b) => a.order - b.order);
    if (cache.size >= CANDIDATE_CACHE_SIZE) cache.clear();
    cache.set(type, list);
    return list;
  };

  return {
    route(envelope) {
      const candidates = candidatesFor(envelope.type);
      if (candidates.length === 0) return [];
      let doc: Readonly<Record<string, unknown>> | undefined;
      const chosen = new Set<string>();
      for (const subscription of candidates) {
        if (subscription.filter !== undefined) {
          doc ??= filterDocument(envelope);
          if (!subscription.filter.matches(doc)) continue;
        }
        for (const id of subscription.endpoints) chosen.add(id);
      }
      return [...chosen];
    },
  };
}
