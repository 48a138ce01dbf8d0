import { type AdminStorage, type ConfigControl, type EndpointRegistry, registerAdminRoutes } from "@hookyard/admin";
import { DEFAULT_ENDPOINT_POLICY, type Envelope, type Sink, sinkLimitsOf, sinkSizeOf } from "@hookyard/core";
import type { HistoryStore } from "@hookyard/history";
import { createClientOriginResolver, type IngressRoutes, registerIngressRoutes } from "@hookyard/ingress";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { Tracer } from "@opentelemetry/api";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { HookyardConfig } from "../config/types.js";
import { registerIngestRoutes } from "../ingest/ingest-routes.js";
import { openIngressState } from "../ingress-wiring/open-ingress-state.js";
import type { Metrics } from "../metrics.js";
import { sinkEndpointId } from "../sinks/sink-endpoints.js";
import type { Accept } from "./accept.js";
import type { PayloadCheck } from "./payload-check.js";
import type { Teardown } from "./teardown.js";

export interface HttpApiWiring {
  readonly config: HookyardConfig;
  /** The config as last reloaded: what changes live (API keys here) is read from it per request. */
  readonly current: () => HookyardConfig;
  readonly accept: Accept;
  readonly checkPayload: PayloadCheck;
  readonly store: SchedulerStore;
  readonly history: HistoryStore;
  readonly registry: EndpointRegistry;
  readonly adminStorage: AdminStorage;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly teardown: Teardown;
  /** The started sinks by id, so an ingress route can refuse (413) an event none of its targets can ever take. */
  readonly sinks: ReadonlyMap<string, Sink>;
  /**
   * The store clock (ms; on Redis, Redis time): what the admin API stamps and compares (portal tokens, audit,
   * replays) and when a rejected request was kept, so instances with skewed clocks agree.
   */
  readonly now: () => number;
  /** The config reloader, for the admin API's /config routes (absent: they answer 409). */
  readonly configControl?: ConfigControl;
  /** With tracing on: a SERVER span per inbound webhook request. */
  readonly tracer?: Tracer | undefined;
}

/**
 * The ingest API (`/v1/events`) and the inbound webhook routes on the public listener, the admin API and dashboard
 * on the internal one (the same server when the config names no internal listener), each when the config enables it.
 */
export async function registerHttpApis(
  servers: { readonly public: FastifyInstance; readonly internal: FastifyInstance },
  wiring: HttpApiWiring,
): Promise<{ readonly ingress?: IngressRoutes }> {
  const { config, metrics } = wiring;
  const server = servers.public;
  if (config.ingest.enabled) {
    await registerIngestRoutes(server, {
      apiKeys: () => wiring.current().ingest.apiKeys,
      maxBodyBytes: config.ingest.maxBodyBytes,
      maxBatchEvents: config.ingest.maxBatchEvents,
      maxJsonDepth: config.ingest.maxJsonDepth,
      accept: wiring.accept,
      checkPayload: wiring.checkPayload,
      metrics,
      storeTimeoutMs: config.server.storeTimeoutMs,
    });
  }
  const ingress = config.ingress.routes.length > 0 ? await registerIngress(server, wiring) : undefined;
  if (config.admin.enabled) await registerAdmin(servers.internal, wiring, ingress);
  return ingress === undefined ? {} : { ingress };
}

/** Inbound webhooks: rules name sinks and endpoints; a sink is reached through its internal scheduler endpoint. */
async function registerIngress(server: FastifyInstance, wiring: HttpApiWiring): Promise<IngressRoutes> {
  const { config, metrics, logger } = wiring;
  const state = await openIngressState(config.redis);
  wiring.teardown.add(() => state.close());
  const sinkIds = new Set(config.sinks.filter((sink) => sink.enabled).map((sink) => sink.id));
  return registerIngressRoutes(server, {
    routes: config.ingress.routes,
    accept: async (envelope, targets) => {
      await wiring.accept(
        envelope,
        targets.map((target) => (sinkIds.has(target) ? sinkEndpointId(target) : target)),
      );
    },
    dedup: state.dedup,
    limiter: state.limiter,
    clientOrigin: createClientOriginResolver({
      trustedCidrs: config.server.trustProxy,
      header: config.server.forwardedHeader,
    }),
    storeTimeoutMs: config.server.storeTimeoutMs,
    now: wiring.now,
    ...(wiring.tracer === undefined ? {} : { tracer: wiring.tracer }),
    targetRefuses: (envelope, target) => sinkRefuses(wiring.sinks.get(target), envelope),
    logger: logger.child({ component: "ingress" }),
    metrics: { count: (route, outcome) => metrics.ingressRequests.inc({ route, outcome }) },
    rejected: {
      record: (entry) => {
        wiring.store
          .keepRejected({
            origin: `ingress:${entry.routeId}`,
            reason: `${entry.outcome}: ${entry.reason}`,
            at: Date.parse(entry.at) || wiring.now(),
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

async function registerAdmin(
  server: FastifyInstance,
  wiring: HttpApiWiring,
  ingress: IngressRoutes | undefined,
): Promise<void> {
  const { config } = wiring;
  const admin = await registerAdminRoutes(server, {
    store: wiring.store,
    history: wiring.history,
    registry: wiring.registry,
    storage: wiring.adminStorage,
    settings: {
      apiKeys: config.admin.apiKeys,
      portalTokenTtlMs: config.admin.portal.tokenTtlMs,
      frameAncestors: config.admin.portal.frameAncestors,
      secretGraceMs: config.admin.secretGraceMs,
      egressAllowCidrs: config.egress.allowCidrs,
      branding: config.admin.portal.branding,
      ...(config.admin.portal.signingKey === undefined ? {} : { portalSigningKey: config.admin.portal.signingKey }),
    },
    defaultPolicy: { ...DEFAULT_ENDPOINT_POLICY, timeoutMs: config.egress.timeoutMs },
    rejectedOrigins: () => [
      ...config.sources.map((source) => `source:${source.id}`),
      // The routes served now: a config reload may have changed them.
      ...(ingress?.routes() ?? []).map((route) => `ingress:${route.id}`),
    ],
    logger: wiring.logger.child({ component: "admin" }),
    adminKeys: () => wiring.current().admin.apiKeys,
    now: wiring.now,
    ...(wiring.configControl === undefined ? {} : { config: wiring.configControl }),
  });
  wiring.teardown.add(() => admin.jobs.idle());
}

/** An event a sink can never publish (over its maxMessageBytes): its size and the limit; else undefined. */
function sinkRefuses(sink: Sink | undefined, envelope: Envelope): { size: number; limit: number } | undefined {
  if (sink === undefined) return undefined; // an HTTP endpoint, or not a sink: no size limit of its own
  const limit = sinkLimitsOf(sink).maxMessageBytes;
  const size = sinkSizeOf(sink, envelope);
  return size > limit ? { size, limit } : undefined;
}
