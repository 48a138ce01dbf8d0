import { keyId } from "@hookyard/admin";
import type { HookyardConfig } from "../config/types.js";
import type { Gateway } from "../gateway/gateway.js";

/**
 * What `hookyard start` prints on stderr once running (the log on stdout stays machine-readable): where each
 * listener is, what it serves, and how to sign in to the dashboard — the URL and which key, named by the key id
 * the audit log uses, never by its value.
 */
export function startBanner(config: HookyardConfig, gateway: Gateway): string {
  const split = config.server.internal !== undefined;
  const lines = [
    "",
    `Hookyard is running on the ${config.redis.mode === "embedded" ? "embedded store (in memory, NOT durable)" : `Redis store (prefix ${config.redis.prefix})`}.`,
    `  ${gateway.url}  ${publicServes(config, split)}`,
  ];
  if (split) lines.push(`  ${gateway.internalUrl}  internal: admin API, dashboard, /metrics, health`);
  if (config.admin.enabled) {
    const ids = config.admin.apiKeys.map((key) => keyId(key)).join(", ");
    lines.push(
      `Dashboard: ${gateway.internalUrl}/dashboard/ — sign in with an admin API key from admin.apiKeys (${ids}).`,
      "  A new key: hookyard secret key. Customers: mint a portal token with POST /admin/v1/portal-tokens.",
    );
  } else {
    lines.push("Dashboard: off (admin.enabled: false).");
  }
  return `${lines.join("\n")}\n`;
}

function publicServes(config: HookyardConfig, split: boolean): string {
  const served = [
    ...(config.ingest.enabled ? ["ingest API (/v1/events)"] : []),
    ...(config.ingress.routes.length > 0 ? ["inbound webhooks"] : []),
    "health",
    ...(split ? [] : ["/metrics", ...(config.admin.enabled ? ["admin API", "dashboard"] : [])]),
  ];
  return `${split ? "public" : "public and internal"}: ${served.join(", ")}`;
}
