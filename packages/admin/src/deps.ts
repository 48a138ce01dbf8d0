import type { EndpointPolicy } from "@hookyard/core";
import type { HistoryStore } from "@hookyard/history";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { AdminStorage } from "./state/admin-storage.js";
import type { EndpointRegistry } from "./state/endpoint-registry.js";

/** The `admin:` config section, as the plugin needs it. */
export interface AdminSettings {
  /** Admin API keys (operators); compared in constant time. */
  readonly apiKeys: readonly string[];
  /** Signs portal tokens (HMAC-SHA256); portal access is off without one. */
  readonly portalSigningKey?: string;
  /** Lifetime of a portal token when the request names none. */
  readonly portalTokenTtlMs: number;
  /** CSP frame-ancestors of the dashboard, so a portal can be embedded in these origins' pages. */
  readonly frameAncestors: readonly string[];
  /** Grace period of the old secret after a rotation, when the request names none. Default 24 h. */
  readonly secretGraceMs?: number;
}

export interface AdminLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What `registerAdminRoutes` needs; the runtime builds these (see the package README, "Wiring"). */
export interface AdminDependencies {
  /** The scheduler store: live deliveries, endpoint state, requeue (replay). */
  readonly store: SchedulerStore;
  /** The history store: settled deliveries, attempts and payloads (lists, dead letters, replay sources). */
  readonly history: HistoryStore;
  readonly registry: EndpointRegistry;
  /** The registry's storage: the audit log and replay jobs live there too. */
  readonly storage: AdminStorage;
  readonly settings: AdminSettings;
  /** Policy of endpoints created through the API (the runtime's defaults: egress timeout etc.). */
  readonly defaultPolicy: EndpointPolicy;
  /** Origins whose rejected messages can be listed: "source:<id>", "ingress:<route id>". */
  readonly rejectedOrigins: () => readonly string[];
  /** Store clock (ms). Default Date.now. */
  readonly now?: () => number;
  readonly logger?: AdminLogger;
}
