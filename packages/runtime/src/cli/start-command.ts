import type { Logger } from "pino";
import type { HookyardConfig } from "../config/types.js";
import { type DemoReceiver, startDemoReceiver } from "../demo/demo-receiver.js";
import { type Gateway, startGateway } from "../gateway/gateway.js";
import { createLogger } from "../logger.js";
import { type CommandContext, configPath, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";
import { startBanner } from "./start-banner.js";

/**
 * `hookyard start -c FILE`: runs until SIGTERM/SIGINT, then shuts down gracefully (sources drained, in-flight
 * deliveries finished or released within the grace period). A second signal exits at once. SIGHUP re-reads the
 * config file and applies what can change live (see reload/config-reloader.ts).
 */
export async function startCommand(context: CommandContext): Promise<number> {
  const file = configPath(context);
  const load = () => loadCommandConfig(context, file);
  // Installed first: SIGHUP's default action ends the process, and one sent during start-up must not.
  let onHangUp = (): void => undefined;
  const hangUp = () => onHangUp();
  process.on("SIGHUP", hangUp);
  try {
    return await run(context, await load(), load, (handler) => {
      onHangUp = handler;
    });
  } finally {
    process.off("SIGHUP", hangUp);
  }
}

/** Starts the gateway of `config` and serves until a signal; SIGHUP re-reads the file (see reloadCommand). */
async function run(
  context: CommandContext,
  config: HookyardConfig,
  load: () => Promise<HookyardConfig>,
  onHangUp: (handler: () => void) => void,
): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format, stream: context.stdout });
  let demo: DemoReceiver | undefined;
  if (context.values.demo === true) demo = await startDemo(config, logger);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, {
      logger,
      resolveConnector: (type) => context.registry.resolve(type),
      loadConfig: load,
    });
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
    onHangUp(() => {
      if (signals > 0) return; // shutting down: nothing to reload into
      void gateway.reload("signal");
    });
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
