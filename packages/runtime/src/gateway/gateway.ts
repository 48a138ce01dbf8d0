import type { AddressInfo } from "node:net";
import {
  type AdminStorage,
  type ConfigControl,
  type ConfigReloadReport,
  createEndpointRegistry,
  createMemoryAdminStorage,
  createRedisAdminStorage,
  type EndpointRegistry,
  endpointDeleted,
  type LoadedConfig,
} from "@hookyard/admin";
import type { ConnectorDefinition, Endpoint, Sink, Source } from "@hookyard/core";
import { createHttpDelivery } from "@hookyard/delivery";
import type { HistoryStore } from "@hookyard/history";
import type { IngressRoutes } from "@hookyard/ingress";
import { type Clock, createWorker, type SchedulerStore, systemClock, type Worker } from "@hookyard/scheduler";
import type { Tracer } from "@opentelemetry/api";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { HookyardConfig } from "../config/types.js";
import { closeServerBy } from "../http/close-server.js";
import { checkReadiness, type HealthCheck } from "../http/health.js";
import { createHttpServer } from "../http/server.js";
import { createMetrics, type Metrics } from "../metrics.js";
import { createApplyConfig } from "../reload/apply-config.js";
import { type ApplyConfig, createConfigReloader } from "../reload/config-reloader.js";
import { createRouter, type Router } from "../router/create-router.js";
import { createSinkDispatcher } from "../sinks/sink-dispatcher.js";
import { sinkEndpoint, sinkEndpointId, sinkIdOf } from "../sinks/sink-endpoints.js";
import { startTracing } from "../telemetry/start-tracing.js";
import { type Accept, createAccept } from "./accept.js";
import { type ComponentHealth, createComponentHealth } from "./component-health.js";
import { openGatewayHistory, startHistoryTier } from "./gateway-history.js";
import { type GatewayStore, openGatewayStore, prepareGatewayStore } from "./gateway-store.js";
import { type HttpApiWiring, registerHttpApis } from "./http-apis.js";
import { observeWorkerInMetrics } from "./metrics-bridge.js";
import { startOperatorAlerts } from "./operator-wiring.js";
import { createPayloadCheck } from "./payload-check.js";
import { type ConnectorWiring, startSinks, startSource, stopAll } from "./start-connectors.js";
import { createTeardown, type Teardown } from "./teardown.js";

export interface GatewayDependencies {
  readonly logger: Logger;
  readonly resolveConnector: (type: string) => Promise<ConnectorDefinition>;
  /**
   * This instance's clock. On Redis, scheduling times come from the store's clock (this one corrected to Redis
   * time), so instances with skewed clocks agree; the embedded store uses this one as is. Default systemClock.
   */
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /**
   * Re-reads and validates the config file for a reload (SIGHUP, `hookyard reload`). Without it the instance
   * cannot reload: the admin API answers 409 RELOAD_UNAVAILABLE.
   */
  readonly loadConfig?: () => Promise<HookyardConfig>;
}

/** A running Hookyard: the store, the delivery worker, the HTTP server and the sources of one config. */
export interface Gateway {
  /** The public listener's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The internal listener's (admin API, dashboard, /metrics); the public one's when the config names none. */
  readonly internalUrl: string;
  readonly store: SchedulerStore;
  /** Settled deliveries (delivered and dead), handed off from the store's outbox. */
  readonly history: HistoryStore;
  readonly metrics: Metrics;
  readonly accept: Accept;
  /**
   * Re-reads the config file and applies endpoints, subscriptions, event types and inbound routes without a
   * restart; an invalid file changes nothing. Serialized. Resolves `failed` when started without `loadConfig`.
   */
  reload(trigger: "api" | "signal"): Promise<ConfigReloadReport>;
  /** The running config's file, hash and load time, and what changed in it that only a restart applies. */
  loadedConfig(): LoadedConfig;
  /** Stops taking events, drains sources and in-flight deliveries within the grace period; idempotent. */
  stop(): Promise<void>;
}

/** How often other instances' admin API changes (endpoints, subscriptions) are picked up: one Redis read each. */
const REGISTRY_POLL_MS = 5000;
/** Bound of one health check: the store's ping in /readyz, a connector's background check. */
const CHECK_TIMEOUT_MS = 2000;

/** The parts of a gateway that stop in a fixed order; filled in as start-up goes. */
interface Parts {
  readonly shutdown: AbortController;
  readonly teardown: Teardown;
  readonly health: ComponentHealth;
  readonly sources: Source[];
  readonly servers: FastifyInstance[];
  /** The started sinks by id: the worker publishes through them, ingress asks them what size they accept. */
  readonly sinks: Map<string, Sink>;
  worker?: Worker;
  accepting: boolean;
}

/**
 * Starts everything a config describes, in the order that keeps every accepted event durable: the store first,
 * then the worker, the HTTP server, and the sources last (so nothing is consumed before it can be stored).
 */
export async function startGateway(config: HookyardConfig, deps: GatewayDependencies): Promise<Gateway> {
  const { logger } = deps;
  const localClock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics();
  const parts: Parts = {
    shutdown: new AbortController(),
    teardown: createTeardown(),
    health: createComponentHealth({
      intervalMs: config.server.connectorCheckIntervalMs,
      timeoutMs: CHECK_TIMEOUT_MS,
      gauge: metrics.componentUp,
      logger,
    }),
    sources: [],
    servers: [],
    sinks: new Map(),
    accepting: false,
  };
  const connectors: ConnectorWiring = {
    resolveConnector: deps.resolveConnector,
    logger,
    signal: parts.shutdown.signal,
    health: parts.health,
  };
  try {
    // 0. Tracing (when on): flushed last, after the worker's final attempts.
    const tracing = await startTracing(config.telemetry, logger);
    parts.teardown.add(() => tracing.shutdown());
    const { tracer } = tracing;

    // 1. The store, with every endpoint it must know (config endpoints and one internal endpoint per sink).
    // Operator endpoints (where operator alerts go) are internal endpoints too, beside the sinks'.
    const sinkEndpoints = enabledSinkEndpoints(config);
    for (const { endpoint } of config.operator.endpoints) sinkEndpoints.set(endpoint.id, endpoint);
    const opened = openGatewayStore(config, logger, localClock);
    const { store } = opened;
    parts.teardown.add(() => store.close());
    await prepareGatewayStore(opened, [...config.endpoints, ...sinkEndpoints.values()], logger);
    // One clock: on Redis every instance schedules on Redis time (measured at start-up, refreshed).
    const clock = opened.kind === "redis" ? opened.store.clock : localClock;
    metrics.bindStore(() => store.stats());

    // 2. Endpoints and subscriptions: the config's plus those managed through the admin API.
    const adminStorage = openAdminStorage(opened);
    const registry = await openRegistry(config, store, adminStorage, parts.teardown);
    const endpointOf = (id: string) => sinkEndpoints.get(id) ?? registry.get(id);
    let ingress: IngressRoutes | undefined;
    // The config as last reloaded: the parts read per request (API keys) follow it.
    let current = config;
    const applyLive = createApplyConfig({
      registry,
      store,
      runningSinks: new Set(config.sinks.filter((sink) => sink.enabled).map((sink) => sink.id)),
      runningLeaseMs: config.delivery.leaseMs,
      ingress: () => ingress,
    });
    const reloader = configReloader(config, deps, {
      apply: async (next, live) => {
        const conflicts = await applyLive(next, live);
        if (conflicts.length === 0) current = next;
        return conflicts;
      },
      metrics,
    });
    const ownerOf = (id: string) => endpointOf(id)?.owner;
    const alerts = startOperatorAlerts(config, { store, ownerOf, metrics, logger, clock, teardown: parts.teardown });

    // 3. The delivery worker, sending to customer endpoints over HTTP and to sinks through their connectors.
    const isDeleted = (id: string) => registry.isDeleted(id);
    parts.worker = await startDeliveryWorker(config, {
      store,
      clock,
      metrics,
      logger,
      endpointOf,
      isDeleted,
      connectors,
      parts,
      tracer,
    });

    // 3b. The history tier: settled deliveries leave the scheduler through its outbox into the history store.
    const history = await openGatewayHistory(config.history, logger);
    parts.teardown.add(() => history.close());
    startHistoryTier({
      store,
      history,
      settings: config.history,
      ownerOf,
      outboxFillAlert: config.operator.outboxFillAlert,
      alerts,
      metrics,
      logger,
      teardown: parts.teardown,
      now: () => clock.now(),
    });

    // 4. One accept path: routes by subscription (or by an ingress rule's targets) and makes the event durable.
    const router = followSubscriptions(registry, logger);
    const accept = createAccept({
      route: (envelope) => router.current().route(envelope),
      store,
      now: () => clock.now(),
      dedupTtlMs: config.delivery.dedupWindowMs,
      metrics,
      tracer,
    });
    // Payloads are checked against the catalogue (config and admin API types) before they are accepted.
    const checkPayload = createPayloadCheck({
      eventType: (name) => registry.eventType(name),
      metrics,
      logger: logger.child({ component: "catalogue" }),
    });

    // 5. The HTTP listeners: health everywhere; the ingest API and inbound webhooks on the public one; the admin
    // API, dashboard and metrics on the internal one (or on the only one).
    const servers = await startListeners(config, parts, {
      logger,
      metrics,
      store: storePing(opened),
      loadedConfig: () => reloader.loaded(),
      onIngress: (routes) => {
        ingress = routes;
      },
      wiring: {
        config,
        current: () => current,
        accept,
        checkPayload,
        store,
        history,
        registry,
        adminStorage,
        metrics,
        logger,
        teardown: parts.teardown,
        sinks: parts.sinks,
        now: () => clock.now(),
        ...(deps.loadConfig === undefined ? {} : { configControl: reloader }),
        tracer,
      },
    });

    // 6. Sources last: nothing is consumed before it can be stored.
    for (const entry of config.sources.filter((source) => source.enabled)) {
      parts.sources.push(
        await startSource(entry, { ...connectors, accept, checkPayload, store, metrics, now: () => clock.now() }),
      );
    }
    parts.accepting = true;
    return runningGateway(config, { parts, servers, store, history, metrics, accept, logger, reloader });
  } catch (error) {
    await stopParts(parts, 0);
    throw error;
  }
}

/** Creates the public listener and, when the config names one, the internal listener; registers and listens. */
async function startListeners(
  config: HookyardConfig,
  parts: Parts,
  options: {
    logger: Logger;
    metrics: Metrics;
    store: HealthCheck;
    loadedConfig: () => LoadedConfig;
    onIngress: (routes: IngressRoutes) => void;
    wiring: HttpApiWiring;
  },
): Promise<{ public: FastifyInstance; internal: FastifyInstance }> {
  const readiness = () =>
    checkReadiness({
      accepting: () => parts.accepting,
      store: options.store,
      components: () => parts.health.snapshot(),
      config: () => {
        const { hash, loadedAt } = options.loadedConfig();
        return { hash, loadedAt };
      },
      timeoutMs: CHECK_TIMEOUT_MS,
    });
  const { internal } = config.server;
  // The internal listener (or the only one) says why a check failed; a public one beside it only which.
  const open = (listener: "public" | "internal", metrics?: Metrics) => {
    const readinessErrors = listener === "internal" || internal === undefined;
    const server = createHttpServer({
      logger: options.logger,
      listener,
      readiness,
      readinessErrors,
      requestLogLevel: config.log.requests,
      ...(metrics ? { metrics } : {}),
    });
    parts.servers.push(server);
    return server;
  };
  const publicServer = open("public", internal === undefined ? options.metrics : undefined);
  const internalServer = internal === undefined ? publicServer : open("internal", options.metrics);
  const apis = await registerHttpApis({ public: publicServer, internal: internalServer }, options.wiring);
  if (apis.ingress !== undefined) options.onIngress(apis.ingress);
  await publicServer.listen({ host: config.server.host, port: config.server.port });
  if (internal !== undefined) await internalServer.listen({ host: internal.host, port: internal.port });
  return { public: publicServer, internal: internalServer };
}

/** The reloader of this gateway's config file; without `loadConfig`, one whose reloads fail saying why. */
function configReloader(
  config: HookyardConfig,
  deps: GatewayDependencies,
  wiring: { apply: ApplyConfig; metrics: Metrics },
): ConfigControl {
  const { loadConfig } = deps;
  return createConfigReloader({
    initial: config,
    load:
      loadConfig ??
      (() => Promise.reject(new Error("this instance was not started from a config file; restart it instead"))),
    apply: wiring.apply,
    ingressServed: config.ingress.routes.length > 0,
    metrics: wiring.metrics,
    logger: deps.logger.child({ component: "config" }),
  });
}

/** Readiness asks the store for one round trip: a Redis PING, never a read of every endpoint. */
function storePing(opened: GatewayStore): HealthCheck {
  if (opened.kind === "memory") return { name: "store", run: async () => undefined };
  const { client } = opened.store;
  return { name: "store", run: async () => void (await client.ping()) };
}

function enabledSinkEndpoints(config: HookyardConfig): Map<string, Endpoint> {
  const sinks = config.sinks.filter((sink) => sink.enabled);
  return new Map(sinks.map((sink) => [sinkEndpointId(sink.id), sinkEndpoint(sink.id)]));
}

/** Endpoints created through the admin API live beside the scheduler state, shared by every instance. */
function openAdminStorage(opened: GatewayStore): AdminStorage {
  return opened.kind === "redis"
    ? createRedisAdminStorage({ client: opened.store.client, base: opened.store.keys.base })
    : createMemoryAdminStorage();
}

async function openRegistry(
  config: HookyardConfig,
  store: SchedulerStore,
  storage: AdminStorage,
  teardown: Teardown,
): Promise<EndpointRegistry> {
  const registry = createEndpointRegistry({
    configEndpoints: config.endpoints,
    configSubscriptions: config.subscriptions,
    configEventTypes: config.eventTypes,
    storage,
    store,
  });
  await registry.load();
  const stopWatching = registry.watch(REGISTRY_POLL_MS);
  teardown.add(stopWatching);
  return registry;
}

async function startDeliveryWorker(
  config: HookyardConfig,
  wiring: {
    store: SchedulerStore;
    clock: Clock;
    metrics: Metrics;
    logger: Logger;
    endpointOf: (id: string) => Endpoint | undefined;
    /** Deleted endpoints' deliveries are dead-lettered ("endpoint deleted") instead of sent. */
    isDeleted: (id: string) => boolean;
    connectors: ConnectorWiring;
    parts: Parts;
    tracer: Tracer | undefined;
  },
): Promise<Worker> {
  const { parts } = wiring;
  const delivery = createHttpDelivery({
    ssrf: { allow: [...config.egress.allowCidrs] },
    maxResponseBodyBytes: config.egress.maxResponseBodyBytes,
    // Signed with the store clock (Redis time on Redis), as schedules and leases are: a skewed host still sends
    // a webhook-timestamp within the receivers' tolerance.
    now: () => wiring.clock.now(),
    ...(config.egress.proxy === undefined ? {} : { proxy: config.egress.proxy }),
    ...(wiring.tracer === undefined ? {} : { tracer: wiring.tracer }),
  });
  parts.teardown.add(() => delivery.close());
  const sinks = await startSinks(
    config.sinks.filter((sink) => sink.enabled),
    wiring.connectors,
  );
  parts.teardown.add(() => stopAll(sinks.values()));
  for (const [id, sink] of sinks) parts.sinks.set(id, sink);
  const sinkDispatcher = createSinkDispatcher(sinks, wiring.tracer);
  const worker = createWorker({
    store: wiring.store,
    clock: wiring.clock,
    logger: wiring.logger.child({ component: "worker" }),
    endpoints: wiring.endpointOf,
    send: (claimed, endpoint, signal) => {
      if (wiring.isDeleted(endpoint.id)) return Promise.resolve(endpointDeleted(wiring.clock.now()));
      const sinkId = sinkIdOf(endpoint.id);
      return sinkId === undefined
        ? delivery.send(endpoint, claimed.envelope, claimed.attempt, { signal })
        : sinkDispatcher.send(sinkId, claimed.envelope);
    },
    observer: observeWorkerInMetrics(wiring.metrics),
    maxInFlight: config.delivery.concurrency,
    leaseMs: config.delivery.leaseMs,
  });
  worker.start();
  return worker;
}

/** The router for the current subscriptions, recompiled when the admin API changes them. */
function followSubscriptions(registry: EndpointRegistry, logger: Logger): { current(): Router } {
  let router = createRouter(registry.subscriptions(), registry.endpoints());
  registry.onChange(() => {
    try {
      router = createRouter(registry.subscriptions(), registry.endpoints());
    } catch (error) {
      logger.error({ err: error }, "subscriptions changed but could not be compiled; routing stays as it was");
    }
  });
  return { current: () => router };
}

function runningGateway(
  config: HookyardConfig,
  running: {
    parts: Parts;
    servers: { public: FastifyInstance; internal: FastifyInstance };
    store: SchedulerStore;
    history: HistoryStore;
    metrics: Metrics;
    accept: Accept;
    logger: Logger;
    reloader: ConfigControl;
  },
): Gateway {
  let stopping: Promise<void> | undefined;
  return {
    url: baseUrl(running.servers.public),
    internalUrl: baseUrl(running.servers.internal),
    store: running.store,
    history: running.history,
    metrics: running.metrics,
    accept: running.accept,
    reload: (trigger) => running.reloader.reload(trigger),
    loadedConfig: () => running.reloader.loaded(),
    stop() {
      stopping ??= stopParts(running.parts, config.server.shutdownGraceMs).then(() =>
        running.logger.info("hookyard stopped"),
      );
      return stopping;
    },
  };
}

function baseUrl(server: FastifyInstance): string {
  const address = server.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Stops in the order that loses nothing, within the grace period: sources first (their in-flight events finish
 * becoming durable and are acked; nothing new comes in), then, together and both by the deadline, the HTTP
 * servers (idle keep-alive connections closed at once, the rest at the deadline) and the worker (in-flight sends
 * aborted at the deadline and their deliveries released, not counted as attempts), then the rest. An event an
 * HTTP request is still making durable meanwhile is queued in the store for the next instance.
 */
async function stopParts(parts: Parts, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  parts.accepting = false;
  parts.shutdown.abort();
  parts.health.stop();
  await stopAll(parts.sources);
  await Promise.all([
    ...parts.servers.map((server) => closeServerBy(server, deadline).catch(() => undefined)),
    parts.worker?.stop({ graceMs: Math.max(0, deadline - Date.now()) }).catch(() => undefined),
  ]);
  await parts.teardown.run();
}
