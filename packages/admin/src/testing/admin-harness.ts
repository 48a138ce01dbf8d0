import type { AddressInfo } from "node:net";
import { DEFAULT_ENDPOINT_POLICY, type Endpoint, type EndpointPolicy } from "@hookyard/core";
import type { ResolveHost } from "@hookyard/delivery";
import { createMemoryHistoryStore, type HistoryStore } from "@hookyard/history";
import { openPostgresTestHistory } from "@hookyard/history/testing";
import {
  createEmbeddedStore,
  createHistoryHandoff,
  createRedisStore,
  type HistoryHandoff,
  type SchedulerStore,
} from "@hookyard/scheduler";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import Fastify, { type FastifyInstance } from "fastify";
import type { EventType } from "../catalogue/event-type.js";
import type { AdminSettings } from "../deps.js";
import { type AdminRoutes, registerAdminRoutes } from "../register-admin-routes.js";
import type { AdminStorage } from "../state/admin-storage.js";
import { createEndpointRegistry, type EndpointRegistry } from "../state/endpoint-registry.js";
import { createMemoryAdminStorage } from "../state/memory-admin-storage.js";
import type { AdminSubscription } from "../state/records.js";
import { createRedisAdminStorage } from "../state/redis-admin-storage.js";

/** Test support: the admin plugin on a real fastify server (127.0.0.1:0) over a real store. */
export interface AdminHarness {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly store: SchedulerStore;
  readonly history: HistoryStore;
  readonly storage: AdminStorage;
  readonly registry: EndpointRegistry;
  readonly routes: AdminRoutes;
  readonly settings: AdminSettings;
  request(method: string, path: string, options?: { key?: string; body?: unknown }): Promise<TestResponse>;
  /** Hands every settled delivery waiting in the scheduler's outbox to the history store (as the runtime does). */
  settleHistory(): Promise<void>;
  close(): Promise<void>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { data?: Record<string, unknown>[] };
}

export const ADMIN_KEY = "admin-key-for-tests-0123456789";
export const PORTAL_SIGNING_KEY = "portal-signing-key-for-tests-0123456789";

export type StoreKind = "redis" | "embedded";
/** Where settled deliveries go: the memory history, or PostgreSQL (the harness's, a schema of the test's own). */
export type HistoryKind = "memory" | "postgres";

export function testEndpoint(id: string, owner: string, url = `http://127.0.0.1:9/${id}`): Endpoint {
  return {
    id,
    owner,
    url,
    secrets: [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
    headers: {},
    enabled: true,
    policy: { ...DEFAULT_ENDPOINT_POLICY, concurrency: 1000 },
  };
}

/**
 * DNS for the tests' made-up hosts (no network needed): `*.internal.example` answers a private address (the SSRF
 * check refuses it), other `.example`/`.example.com` names a public one; anything else does not resolve.
 */
export const testResolver: ResolveHost = async (hostname) => {
  if (hostname.endsWith(".internal.example")) return [{ address: "10.0.0.5", family: 4 }];
  if (hostname.endsWith(".example") || hostname.endsWith(".example.com"))
    return [{ address: "93.184.215.14", family: 4 }];
  throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
};

export async function openAdminHarness(
  kind: StoreKind,
  options: {
    configEndpoints?: readonly Endpoint[];
    configSubscriptions?: readonly AdminSubscription[];
    configEventTypes?: readonly EventType[];
    rejectedOrigins?: readonly string[];
    defaultPolicy?: EndpointPolicy;
    /** Settings over the defaults below (branding, frame ancestors, …). */
    settings?: Partial<AdminSettings>;
    /** Default memory. */
    history?: HistoryKind;
  } = {},
): Promise<AdminHarness> {
  let store: SchedulerStore;
  let storage: AdminStorage;
  if (kind === "redis") {
    const brokers = requireBrokers("redis");
    const redisStore = createRedisStore({ redis: brokers.redisUrl, prefix: uniqueName("hya") });
    store = redisStore;
    storage = createRedisAdminStorage({ client: redisStore.client, base: redisStore.keys.base });
  } else {
    store = createEmbeddedStore();
    storage = createMemoryAdminStorage();
  }
  const configEndpoints = options.configEndpoints ?? [];
  await store.syncEndpoints(configEndpoints);
  const registry = createEndpointRegistry({
    configEndpoints,
    configSubscriptions: options.configSubscriptions ?? [],
    configEventTypes: options.configEventTypes ?? [],
    storage,
    store,
  });
  await registry.load();
  const historyHarness =
    options.history === "postgres"
      ? await openPostgresTestHistory(requireBrokers("postgres").postgresUrl)
      : { store: createMemoryHistoryStore(), close: () => Promise.resolve() };
  const history = historyHarness.store;
  const handoff: HistoryHandoff = createHistoryHandoff({
    store,
    history,
    ownerOf: (id) => registry.get(id)?.owner,
  });
  handoff.start(); // as the runtime runs it; settleHistory() drains at once for tests that settle by hand
  const settings: AdminSettings = {
    apiKeys: [ADMIN_KEY],
    portalSigningKey: PORTAL_SIGNING_KEY,
    portalTokenTtlMs: 3600_000,
    frameAncestors: ["https://app.example.com"],
    egressAllowCidrs: ["127.0.0.0/8"],
    ...options.settings,
  };
  const app = Fastify();
  const routes = await registerAdminRoutes(app, {
    store,
    history,
    registry,
    storage,
    settings,
    defaultPolicy: options.defaultPolicy ?? DEFAULT_ENDPOINT_POLICY,
    rejectedOrigins: () => options.rejectedOrigins ?? [],
    resolveHost: testResolver,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    store,
    history,
    storage,
    registry,
    routes,
    settings,
    async request(method, path, { key = ADMIN_KEY, body } = {}) {
      const headers: Record<string, string> = key === "" ? {} : { authorization: `Bearer ${key}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: (text === "" ? {} : JSON.parse(text)) as TestResponse["body"],
      };
    },
    async settleHistory() {
      await handoff.drain();
    },
    async close() {
      await routes.jobs.idle();
      await handoff.stop();
      await app.close();
      await store.close();
      await historyHarness.close();
    },
  };
}
