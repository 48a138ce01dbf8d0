import type { AddressInfo } from "node:net";
import {
  createEndpointRegistry,
  createMemoryAdminStorage,
  createRedisAdminStorage,
  registerAdminRoutes,
} from "@hookyard/admin";
import {
  type ConnectorDefinition,
  compileEnvelopeMapping,
  DEFAULT_ENDPOINT_POLICY,
  type Endpoint,
  type Envelope,
  HookyardError,
  type Sink,
  type Source,
  type SourceMessage,
  sinkLimitsOf,
  sinkSizeOf,
} from "@hookyard/core";
import { createHttpDelivery } from "@hookyard/delivery";
import {
  createClientOriginResolver,
  createMemoryDedup,
  createMemoryLimiter,
  type DedupStore,
  type RateLimiter,
  registerIngressRoutes,
} from "@hookyard/ingress";
import {
  type Clock,
  createEmbeddedStore,
  createRedisStore,
  createWorker,
  type DeliveryLogStore,
  type RedisSchedulerStore,
  type SchedulerStore,
  systemClock,
  type Worker,
} from "@hookyard/scheduler";
import type { FastifyInstance } from "fastify";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import type { HookyardConfig, SinkEntry, SourceEntry } from "../config/types.js";
import type { HealthCheck } from "../http/health.js";
import { createHttpServer } from "../http/server.js";
import { registerIngestRoutes as registerIngestApi } from "../ingest/ingest-routes.js";
import { createRedisIngressState } from "../ingress-wiring/redis-ingress-state.js";
import { createMetrics, type Metrics } from "../metrics.js";
import { createRouter } from "../router/create-router.js";
import { createSinkDispatcher } from "../sinks/sink-dispatcher.js";
import { sinkEndpoint, sinkEndpointId, sinkIdOf } from "../sinks/sink-endpoints.js";
import { type Accept, createAccept } from "./accept.js";
import { observeWorkerInMetrics } from "./metrics-bridge.js";

export interface GatewayDependencies {
  readonly logger: Logger;
  readonly resolveConnector: (type: string) => Promise<ConnectorDefinition>;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

/** A running Hookyard: the store, the delivery worker, the HTTP server and the sources of one config. */
export interface Gateway {
  /** The HTTP server's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly store: SchedulerStore;
  readonly metrics: Metrics;
  readonly accept: Accept;
  /** Stops taking events, drains sources and in-flight deliveries within the grace period; idempotent. */
  stop(): Promise<void>;
}

const DEDUP_TTL_MS = 24 * 60 * 60 * 1000;
/** How often other instances' admin API changes (endpoints, subscriptions) are picked up: one Redis read each. */
const REGISTRY_POLL_MS = 5000;
/** How often index entries of expired deliveries are trimmed from the delivery log. */
const INDEX_TRIM_MS = 60_000;

/**
 * Starts everything a config describes, in the order that keeps every accepted event durable: the store first,
 * then the worker, the HTTP server, and the sources last (so nothing is consumed before it can be stored).
 */
export async function startGateway(config: HookyardConfig, deps: GatewayDependencies): Promise<Gateway> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics();
  const sinkEntries = config.sinks.filter((sink) => sink.enabled);
  const sinkEndpoints = new Map<string, Endpoint>(
    sinkEntries.map((sink) => [sinkEndpointId(sink.id), sinkEndpoint(sink.id)]),
  );
  const shutdown = new AbortController();
  let accepting = false;

  const store = openStore(config, logger);
  const cleanups: (() => Promise<void>)[] = [() => store.close()];
  let server: FastifyInstance | undefined;
  let worker: Worker | undefined;
  const sources: { id: string; source: Source }[] = [];
  const checks: HealthCheck[] = [];

  try {
    await store.syncEndpoints([...config.endpoints, ...sinkEndpoints.values()]);
    // Config endpoints plus those created through the admin API (stored in Redis, shared by every instance).
    const adminStorage =
      "client" in store && "keys" in store
        ? createRedisAdminStorage({ client: store.client, base: store.keys.base })
        : createMemoryAdminStorage();
    const registry = createEndpointRegistry({
      configEndpoints: config.endpoints,
      configSubscriptions: config.subscriptions,
      storage: adminStorage,
      store,
    });
    await registry.load();
    const stopWatching = registry.watch(REGISTRY_POLL_MS);
    cleanups.unshift(async () => stopWatching());
    const endpointOf = (id: string) => sinkEndpoints.get(id) ?? registry.get(id);
    if ("checkDurability" in store && typeof store.checkDurability === "function") {
      const warning = await (store.checkDurability as () => Promise<string | undefined>)();
      if (warning) logger.warn({ warning }, "redis is not durable: events can be lost on a redis restart");
    }
    checks.push({ name: "store", run: async () => void (await store.stats()) });
    metrics.bindStore(() => store.stats());

    const delivery = createHttpDelivery({
      ssrf: { allow: [...config.egress.allowCidrs] },
      maxResponseBodyBytes: config.egress.maxResponseBodyBytes,
      ...(config.egress.proxy === undefined ? {} : { proxy: config.egress.proxy }),
    });
    cleanups.unshift(() => delivery.close());
    const sinks = await startSinks(sinkEntries, { deps, logger, signal: shutdown.signal, checks });
    cleanups.unshift(() => stopAll(sinks.values()));
    const sinkDispatcher = createSinkDispatcher(sinks);
    worker = createWorker({
      store,
      clock,
      logger: logger.child({ component: "worker" }),
      endpoints: endpointOf,
      send: (claimed, endpoint, signal) => {
        const sinkId = sinkIdOf(endpoint.id);
        return sinkId === undefined
          ? delivery.send(endpoint, claimed.envelope, claimed.attempt, { signal })
          : sinkDispatcher.send(sinkId, claimed.envelope);
      },
      observer: observeWorkerInMetrics(metrics),
      maxInFlight: config.delivery.concurrency,
      leaseMs: config.delivery.leaseMs,
    });
    worker.start();

    let router = createRouter(registry.subscriptions(), registry.endpoints());
    registry.onChange(() => {
      try {
        router = createRouter(registry.subscriptions(), registry.endpoints());
      } catch (error) {
        logger.error({ err: error }, "subscriptions changed but could not be compiled; routing stays as it was");
      }
    });
    const trimTimer = setInterval(() => {
      store
        .trimDeliveryIndex(1000)
        .catch((error: unknown) => logger.debug({ err: error }, "delivery index trim failed"));
    }, INDEX_TRIM_MS);
    trimTimer.unref();
    cleanups.unshift(async () => clearInterval(trimTimer));
    const accept = createAccept({
      route: (envelope) => router.route(envelope),
      store,
      now: () => clock.now(),
      dedupTtlMs: DEDUP_TTL_MS,
      metrics,
    });

    server = createHttpServer({ logger, metrics, checks: () => checks, accepting: () => accepting });
    if (config.ingest.enabled) {
      await registerIngestApi(server, {
        apiKeys: config.ingest.apiKeys,
        maxBodyBytes: config.ingest.maxBodyBytes,
        maxBatchEvents: config.ingest.maxBatchEvents,
        accept,
        metrics,
        storeTimeoutMs: config.server.storeTimeoutMs,
      });
    }
    if (config.ingress.routes.length > 0) {
      const ingressState = await openIngressState(config, cleanups);
      await registerIngressRoutes(server, {
        routes: config.ingress.routes,
        accept: async (envelope, targets) => {
          const endpointIds = targets.map((target) =>
            sinkEntries.some((sink) => sink.id === target) ? sinkEndpointId(target) : target,
          );
          await store.enqueue({
            envelope,
            endpointIds,
            now: clock.now(),
            ...(envelope.idempotencyKey === undefined
              ? {}
              : { dedupKey: envelope.idempotencyKey, dedupTtlMs: DEDUP_TTL_MS }),
          });
          metrics.eventsIn.inc({ source: envelope.source });
        },
        dedup: ingressState.dedup,
        limiter: ingressState.limiter,
        clientOrigin: createClientOriginResolver({
          trustedCidrs: config.server.trustProxy,
          header: config.server.forwardedHeader,
        }),
        storeTimeoutMs: config.server.storeTimeoutMs,
        targetRefuses: (envelope, target) => sinkRefuses(sinks.get(target), envelope),
        logger: logger.child({ component: "ingress" }),
        metrics: { count: (route, outcome) => metrics.ingressRequests.inc({ route, outcome }) },
        rejected: {
          record: (entry) => {
            store
              .keepRejected({
                origin: `ingress:${entry.routeId}`,
                reason: `${entry.outcome}: ${entry.reason}`,
                at: Date.parse(entry.at) || Date.now(),
                headers: {
                  ...entry.headers,
                  "x-hookyard-remote-address": entry.remoteAddress,
                  "x-hookyard-size": String(entry.size),
                },
                data: new Uint8Array(),
              })
              .catch((error: unknown) => logger.warn({ err: error }, "could not keep a rejected ingress request"));
          },
        },
      });
    }
    if (config.admin.enabled) {
      const admin = await registerAdminRoutes(server, {
        store,
        registry,
        storage: adminStorage,
        settings: {
          apiKeys: config.admin.apiKeys,
          portalTokenTtlMs: config.admin.portal.tokenTtlMs,
          frameAncestors: config.admin.portal.frameAncestors,
          secretGraceMs: config.admin.secretGraceMs,
          ...(config.admin.portal.signingKey === undefined ? {} : { portalSigningKey: config.admin.portal.signingKey }),
        },
        defaultPolicy: { ...DEFAULT_ENDPOINT_POLICY, timeoutMs: config.egress.timeoutMs },
        rejectedOrigins: () => [
          ...config.sources.map((source) => `source:${source.id}`),
          ...config.ingress.routes.map((route) => `ingress:${route.id}`),
        ],
        logger: logger.child({ component: "admin" }),
      });
      cleanups.unshift(() => admin.jobs.idle());
    }
    await server.listen({ host: config.server.host, port: config.server.port });

    for (const entry of config.sources.filter((source) => source.enabled)) {
      const source = await startSource(entry, {
        accept,
        store,
        metrics,
        deps,
        logger,
        signal: shutdown.signal,
        checks,
      });
      sources.push({ id: entry.id, source });
    }
    accepting = true;

    const address = server.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    let stopping: Promise<void> | undefined;
    const httpServer = server;
    const runningWorker = worker;
    return {
      url: `http://${host}:${address.port}`,
      store,
      metrics,
      accept,
      stop() {
        stopping ??= (async () => {
          accepting = false;
          shutdown.abort();
          const graceMs = config.server.shutdownGraceMs;
          // Sources first: their in-flight events finish becoming durable and are acked; nothing new comes in.
          await Promise.allSettled(sources.map(({ source }) => source.stop()));
          await httpServer.close();
          await runningWorker.stop({ graceMs });
          for (const cleanup of cleanups) await cleanup().catch(() => undefined);
          logger.info("hookyard stopped");
        })();
        return stopping;
      },
    };
  } catch (error) {
    shutdown.abort();
    await Promise.allSettled(sources.map(({ source }) => source.stop()));
    await server?.close().catch(() => undefined);
    await worker?.stop({ graceMs: 0 }).catch(() => undefined);
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}

function openStore(config: HookyardConfig, logger: Logger): DeliveryLogStore | RedisSchedulerStore {
  const settings = config.redis;
  if (settings.mode === "embedded") {
    logger.warn(
      "EMBEDDED STORE: queued deliveries live in this process's memory and are LOST when it stops. " +
        "For trying Hookyard only; set redis.url in the config for anything that matters.",
    );
    return createEmbeddedStore();
  }
  const redis =
    settings.mode === "standalone"
      ? settings.url
      : { clusterNodes: settings.nodes.map((node) => ({ host: node.host, port: node.port })) };
  return createRedisStore({ redis, prefix: settings.prefix, logger: logger.child({ component: "store" }) });
}

async function startSource(
  entry: SourceEntry,
  context: {
    accept: Accept;
    store: SchedulerStore;
    metrics: Metrics;
    deps: GatewayDependencies;
    logger: Logger;
    signal: AbortSignal;
    checks: HealthCheck[];
  },
): Promise<Source> {
  const definition = await context.deps.resolveConnector(entry.type);
  const side = definition.source;
  if (!side) {
    throw new HookyardError(
      "CONFIG_INVALID",
      `sources: connector type ${JSON.stringify(entry.type)} has no source side`,
    );
  }
  const logger = context.logger.child({ component: "source", source: entry.id });
  const mapping = compileEnvelopeMapping(entry.mapping, `sources.${entry.id}.mapping`);
  const config = entry.config as never;
  const source = side.create(config, {
    logger,
    signal: context.signal,
    sourceId: entry.id,
    toEnvelope: (message: SourceMessage): Envelope => mapping.map(message),
    deadLetter: async (message: SourceMessage, reason: string) => {
      // Kept (durably on Redis) before the source acks it: a poison message is never dropped silently.
      await context.store.keepRejected({
        origin: `source:${entry.id}`,
        reason,
        at: Date.now(),
        headers: { ...message.headers },
        data: message.data,
        ...(message.defaults?.idempotencyKey === undefined ? {} : { idempotencyKey: message.defaults.idempotencyKey }),
      });
      context.metrics.eventsRejected.inc({ source: `source:${entry.id}`, reason: "poison" });
      logger.warn({ reason, idempotencyKey: message.defaults?.idempotencyKey }, "source message rejected and kept");
    },
  });
  const check = side.check;
  if (check)
    context.checks.push({ name: `source:${entry.id}`, run: () => check(config, { logger, signal: context.signal }) });
  await source.start(async (envelope) => {
    await context.accept(envelope);
  });
  logger.info({ type: entry.type }, "source started");
  return source;
}

async function startSinks(
  entries: readonly SinkEntry[],
  context: { deps: GatewayDependencies; logger: Logger; signal: AbortSignal; checks: HealthCheck[] },
): Promise<Map<string, Sink>> {
  const sinks = new Map<string, Sink>();
  try {
    for (const entry of entries) {
      const definition = await context.deps.resolveConnector(entry.type);
      const side = definition.sink;
      if (!side) {
        throw new HookyardError(
          "CONFIG_INVALID",
          `sinks: connector type ${JSON.stringify(entry.type)} has no sink side`,
        );
      }
      const logger = context.logger.child({ component: "sink", sink: entry.id });
      const config = entry.config as never;
      sinks.set(entry.id, side.create(config, { logger, signal: context.signal }));
      const check = side.check;
      if (check)
        context.checks.push({ name: `sink:${entry.id}`, run: () => check(config, { logger, signal: context.signal }) });
      logger.info({ type: entry.type }, "sink started");
    }
  } catch (error) {
    await stopAll(sinks.values());
    throw error;
  }
  return sinks;
}

/** An event a sink can never publish (over its maxMessageBytes): its size and the limit; else undefined. */
function sinkRefuses(sink: Sink | undefined, envelope: Envelope): { size: number; limit: number } | undefined {
  if (sink === undefined) return undefined; // an HTTP endpoint, or not a sink: no size limit of its own
  const limit = sinkLimitsOf(sink).maxMessageBytes;
  const size = sinkSizeOf(sink, envelope);
  return size > limit ? { size, limit } : undefined;
}

async function stopAll(stoppables: Iterable<{ stop(): Promise<void> }>): Promise<void> {
  await Promise.allSettled([...stoppables].map((item) => item.stop()));
}

/** Ingress de-duplication and rate limits: shared through Redis, or in memory on the embedded store. */
async function openIngressState(
  config: HookyardConfig,
  cleanups: (() => Promise<void>)[],
): Promise<{ dedup: DedupStore; limiter: RateLimiter }> {
  const settings = config.redis;
  if (settings.mode === "embedded") return { dedup: createMemoryDedup(), limiter: createMemoryLimiter() };
  const client =
    settings.mode === "standalone"
      ? new Redis(settings.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          commandTimeout: 5000,
        })
      : new Cluster(
          settings.nodes.map((node) => ({ host: node.host, port: node.port })),
          {
            lazyConnect: true,
            enableOfflineQueue: false,
            redisOptions: {
              maxRetriesPerRequest: 1,
              commandTimeout: 5000,
              ...(settings.username === undefined ? {} : { username: settings.username }),
              ...(settings.password === undefined ? {} : { password: settings.password }),
              ...(settings.tls ? { tls: {} } : {}),
            },
          },
        );
  client.on("error", () => undefined); // reconnects by itself; failing calls answer 503 meanwhile
  cleanups.unshift(async () => {
    client.disconnect();
  });
  // Connected before the routes open: no offline queue, so a request must not find it still connecting.
  await client.connect();
  return createRedisIngressState(client, settings.prefix);
}
