import {
  builtInConnectors,
  createConnectorRegistry,
  createLogger,
  type Gateway,
  loadConfigText,
  startGateway,
} from "@hookyard/runtime";
import { stringify } from "yaml";

export const TEST_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const INGEST_KEY = "test-ingest-key-1";

/**
 * Starts a gateway in-process from a config object (written as YAML, loaded like a user's file). Unless the test
 * sets `server.storeTimeout`, it is 10 s here: the 1 s default answers 503 once Redis calls take longer, which on a
 * CI machine shared by many suites (load average ~28 on 2 vCPUs was seen) happens to requests that test something
 * else. The Redis outage suite sets it explicitly.
 */
export async function startTestGateway(config: Record<string, unknown>): Promise<Gateway> {
  const registry = createConnectorRegistry(builtInConnectors);
  const server = (config.server ?? {}) as Record<string, unknown>;
  const withBudget = { ...config, server: { storeTimeout: "10s", ...server } };
  const loaded = await loadConfigText(stringify(withBudget), "test.yaml", {
    env: {},
    resolveConnector: (type) => registry.resolve(type),
  });
  const logger = createLogger({ level: process.env.HOOKYARD_TEST_LOG_LEVEL ?? "silent", format: "json" });
  return startGateway(loaded, { logger, resolveConnector: (type) => registry.resolve(type) });
}

/** A config with ingest on, one endpoint at `url` subscribed to every event, on the given store. */
export function ingestConfig(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: "127.0.0.1", port: 0 },
    log: { level: "silent" },
    ingest: { enabled: true, apiKeys: [INGEST_KEY], maxBodyBytes: "64kb" },
    egress: { allowCidrs: ["127.0.0.0/8"] },
    endpoints: [
      { id: "receiver", url, secrets: [TEST_SECRET], policy: { retry: { schedule: [0, "100ms", "200ms"] } } },
    ],
    subscriptions: [{ id: "all", endpoints: ["receiver"], types: ["*"] }],
    ...extra,
  };
}
