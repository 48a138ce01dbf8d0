import type { Logger } from "pino";
import { loadConfig } from "../config/load-config.js";
import type { HookyardConfig } from "../config/types.js";
import { type DemoReceiver, startDemoReceiver } from "../demo/demo-receiver.js";
import { type Gateway, startGateway } from "../gateway/gateway.js";
import { createLogger } from "../logger.js";
import { type CommandContext, configPath } from "./command-context.js";
import { EXIT } from "./exit-codes.js";
import { startBanner } from "./start-banner.js";

/**
 * `hookyard start -c FILE`: runs until SIGTERM/SIGINT, then shuts down gracefully (sources drained, in-flight
 * deliveries finished or released within the grace period). A second signal exits at once.
 */
export async function startCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const config = await loadConfig(file, {
    env: context.env,
    resolveConnector: (type) => context.registry.resolve(type),
  });
  const logger = createLogger({ level: config.log.level, format: config.log.format, stream: context.stdout });
  let demo: DemoReceiver | undefined;
  if (context.values.demo === true) demo = await startDemo(config, logger);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { logger, resolveConnector: (type) => context.registry.resolve(type) });
  } catch (error) {
    await demo?.close();
    throw error;
  }
  logger.info(
    {
      url: gateway.url,
      ...(config.server.internal ? { internalUrl: gateway.internalUrl } : {}),
      store: config.redis.mode,
    },
    "hookyard started",
  );
  if (context.values.quiet !== true) context.stderr.write(startBanner(config, gateway));
  if (demo) context.stderr.write(demoBanner(config, gateway, demo.url));

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting now");
        resolve(EXIT.failure);
        return;
      }
      logger.info({ signal, graceMs: config.server.shutdownGraceMs }, "shutting down");
      gateway
        .stop()
        .then(() => demo?.close())
        .then(
          () => resolve(EXIT.ok),
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            resolve(EXIT.failure);
          },
        );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** The demo receiver listens where the config's first loopback endpoint points, with that endpoint's secret. */
async function startDemo(config: HookyardConfig, logger: Logger): Promise<DemoReceiver> {
  const endpoint = config.endpoints.find((candidate) => {
    const url = new URL(candidate.url);
    return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost");
  });
  const secret = endpoint?.secrets.find((candidate) => candidate.secret.startsWith("whsec_"))?.secret;
  if (!endpoint || !secret) {
    throw new Error(
      "--demo needs an endpoint with an http://127.0.0.1:PORT/PATH url and a whsec_ secret in the config",
    );
  }
  const url = new URL(endpoint.url);
  return startDemoReceiver({
    host: "127.0.0.1",
    port: Number(url.port || 80),
    path: url.pathname,
    secret,
    logger: logger.child({ component: "demo-receiver" }),
  });
}

function demoBanner(config: HookyardConfig, gateway: Gateway, receiverUrl: string): string {
  const gatewayUrl = gateway.url;
  const apiKey = config.ingest.apiKeys[0] ?? "<an ingest api key>";
  const body = JSON.stringify({ type: "order.created", data: { orderId: "o-1", amount: 42 } });
  return [
    "",
    "Send it an event:",
    "",
    `  curl -X POST ${gatewayUrl}/v1/events -H 'authorization: Bearer ${apiKey}' -H 'content-type: application/json' -d '${body}'`,
    "",
    `It arrives, signed, at the demo receiver ${receiverUrl}: watch for "demo receiver got a webhook" in the log`,
    `(verified: true means the Standard Webhooks signature checked out), or list what arrived: curl ${receiverUrl}`,
    ...(config.admin.enabled ? ["Every delivery and its attempts are in the dashboard (above)."] : []),
    "",
  ].join("\n");
}
