import type { EndpointPolicy } from "@hookyard/core";
import type { ResolveHost } from "@hookyard/delivery";
import type { HistoryStore } from "@hookyard/history";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { ConfigControl } from "./config-control.js";
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
  /** `egress.allowCidrs`: endpoint URLs are checked against the SSRF policy before they are saved. */
  readonly egressAllowCidrs?: readonly string[];
  /** The portal's look: operator name, logo, colours, theme. */
  readonly branding?: PortalBranding;
}

/** How the customer portal presents the operator (the `admin.portal.branding` config section). */
export interface PortalBranding {
  /** Shown in the header and the page title, e.g. "Acme Webhooks". */
  readonly name?: string;
  /** An https URL (or a data: URL) of the logo. */
  readonly logoUrl?: string;
  /** CSS colours: accent (buttons, links), and optionally the page background and text. */
  readonly colors?: { readonly accent?: string; readonly background?: string; readonly text?: string };
  /** light, dark, or auto (follows the viewer's system setting). */
  readonly theme?: "light" | "dark" | "auto";
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
  /** How endpoint URLs' hosts are resolved for the SSRF check (tests inject one). Default: the system resolver. */
  readonly resolveHost?: ResolveHost;
  /** The admin API keys now, when a config reload may change them. Default: `settings.apiKeys`. */
  readonly adminKeys?: () => readonly string[];
  /** The config reloader (`/config`, `/config/reload`); absent when not started from a file (409 there). */
  readonly config?: ConfigControl;
  /** Store clock (ms). Default Date.now. */
  readonly now?: () => number;
  readonly logger?: AdminLogger;
}
