import type { Endpoint } from "@hookyard/core";
import { Agent, type Dispatcher, ProxyAgent } from "undici";
import { createGuardedConnector, guardedTunnelClientFactory, type ResolveHost } from "./guarded-connect.js";
import type { SsrfGuard } from "./ssrf-guard.js";

export interface DispatcherSetOptions {
  readonly guard: SsrfGuard;
  /** Whether the guard resolves CONNECT targets itself (false when the guard is off: the proxy resolves). */
  readonly guardTunnels: boolean;
  readonly resolve: ResolveHost;
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionsPerOrigin: number | undefined;
  /** Egress proxy for endpoints that do not name their own. */
  readonly proxy: string | undefined;
}

/** Agents shared by every endpoint with the same proxy and TLS settings. */
export interface DispatcherSet {
  forEndpoint(endpoint: Endpoint): Dispatcher;
  close(): Promise<void>;
}

/**
 * One undici Agent (which keeps one keep-alive pool per origin) per distinct (proxy, TLS material) combination,
 * created on first use and reused for every request after: no per-request agents or connection setup.
 */
export function createDispatcherSet(options: DispatcherSetOptions): DispatcherSet {
  const dispatchers = new Map<string, Dispatcher>();
  const common = {
    keepAliveTimeout: options.keepAliveTimeoutMs,
    ...(options.connectionsPerOrigin === undefined ? {} : { connections: options.connectionsPerOrigin }),
  };
  const create = (proxy: string | undefined, tls: Endpoint["tls"]): Dispatcher => {
    if (proxy === undefined) {
      return new Agent({
        ...common,
        connect: createGuardedConnector({
          guard: options.guard,
          resolve: options.resolve,
          connectTimeoutMs: options.connectTimeoutMs,
          ...(tls === undefined ? {} : { tls }),
        }),
      });
    }
    return new ProxyAgent({
      ...common,
      uri: proxy,
      // Tunnel plain http:// targets too (undici 8 would send them to the proxy in absolute form): the guard
      // checks the address a tunnel is opened to, and the proxy never sees a request it could rewrite.
      proxyTunnel: true,
      proxyTls: { timeout: options.connectTimeoutMs },
      requestTls: { timeout: options.connectTimeoutMs, ...tls },
      ...(options.guardTunnels ? { clientFactory: guardedTunnelClientFactory(options.guard, options.resolve) } : {}),
    });
  };
  return {
    forEndpoint(endpoint) {
      const proxy = endpoint.proxy ?? options.proxy;
      const tls = endpoint.tls;
      const key = JSON.stringify([proxy ?? null, tls?.ca ?? null, tls?.cert ?? null, tls?.key ?? null]);
      let dispatcher = dispatchers.get(key);
      if (dispatcher === undefined) {
        dispatcher = create(proxy, tls);
        dispatchers.set(key, dispatcher);
      }
      return dispatcher;
    },
    async close() {
      const all = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.all(all.map((dispatcher) => dispatcher.close()));
    },
  };
}
