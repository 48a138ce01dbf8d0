import {
  type ConnectorDefinition,
  compileEnvelopeMapping,
  type Envelope,
  HookyardError,
  type Sink,
  type Source,
  type SourceMessage,
} from "@hookyard/core";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { Logger } from "pino";
import type { SinkEntry, SourceEntry } from "../config/types.js";
import type { Metrics } from "../metrics.js";
import type { Accept } from "./accept.js";
import type { ComponentHealth } from "./component-health.js";
import type { PayloadCheck } from "./payload-check.js";

/** What starting a connector needs from the gateway. */
export interface ConnectorWiring {
  readonly resolveConnector: (type: string) => Promise<ConnectorDefinition>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Each connector's `check()` runs in the background: its result is detail of /readyz, never a condition. */
  readonly health: Pick<ComponentHealth, "add">;
}

/** Creates every enabled sink (they publish ingress events); on a failure the ones created are stopped again. */
export async function startSinks(entries: readonly SinkEntry[], wiring: ConnectorWiring): Promise<Map<string, Sink>> {
  const sinks = new Map<string, Sink>();
  try {
    for (const entry of entries) {
      const side = (await wiring.resolveConnector(entry.type)).sink;
      if (!side) throw noSide("sinks", entry.type, "sink");
      const logger = wiring.logger.child({ component: "sink", sink: entry.id });
      const config = entry.config as never;
      sinks.set(entry.id, side.create(config, { logger, signal: wiring.signal }));
      const check = side.check;
      if (check)
        wiring.health.add({ name: `sink:${entry.id}`, run: () => check(config, { logger, signal: wiring.signal }) });
      logger.info({ type: entry.type }, "sink started");
    }
  } catch (error) {
    await stopAll(sinks.values());
    throw error;
  }
  return sinks;
}

/**
 * Starts one source: its messages are mapped to envelopes and handed to `accept` (the broker message is acked once
 * that resolves); poison messages are kept in the rejected log before the source acks them.
 */
export async function startSource(
  entry: SourceEntry,
  wiring: ConnectorWiring & {
    readonly accept: Accept;
    readonly checkPayload: PayloadCheck;
    readonly store: SchedulerStore;
    readonly metrics: Metrics;
    /** The store clock (ms): when a rejected message was kept, comparable across instances. */
    readonly now: () => number;
  },
): Promise<Source> {
  const side = (await wiring.resolveConnector(entry.type)).source;
  if (!side) throw noSide("sources", entry.type, "source");
  const logger = wiring.logger.child({ component: "source", source: entry.id });
  const mapping = compileEnvelopeMapping(entry.mapping, `sources.${entry.id}.mapping`);
  const config = entry.config as never;
  const origin = `source:${entry.id}`;
  const source = side.create(config, {
    logger,
    signal: wiring.signal,
    sourceId: entry.id,
    toEnvelope: (message: SourceMessage): Envelope => mapping.map(message),
    deadLetter: async (message: SourceMessage, reason: string) => {
      // Kept (durably on Redis) before the source acks it: a poison message is never dropped silently.
      const idempotencyKey = message.defaults?.idempotencyKey;
      await wiring.store.keepRejected({
        origin,
        reason,
        at: wiring.now(),
        headers: { ...message.headers },
        data: message.data,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      wiring.metrics.eventsRejected.inc({ source: origin, reason: "poison" });
      logger.warn({ reason, idempotencyKey }, "source message rejected and kept");
    },
  });
  const check = side.check;
  if (check) wiring.health.add({ name: origin, run: () => check(config, { logger, signal: wiring.signal }) });
  await source.start(async (envelope) => {
    const problem = wiring.checkPayload(envelope, origin);
    if (problem === undefined) {
      await wiring.accept(envelope);
      return;
    }
    // A `reject` type's bad payload: kept (durably) in the rejected log before the source acks it, never dropped.
    await wiring.store.keepRejected({
      origin,
      reason: `schema: event type ${JSON.stringify(problem.type)}: ${problem.message}`,
      at: wiring.now(),
      headers: { ...envelope.headers, "x-hookyard-event-id": envelope.id, "x-hookyard-event-type": envelope.type },
      data: envelope.data,
      ...(envelope.idempotencyKey === undefined ? {} : { idempotencyKey: envelope.idempotencyKey }),
    });
    wiring.metrics.eventsRejected.inc({ source: origin, reason: "schema" });
  });
  logger.info({ type: entry.type }, "source started");
  return source;
}

export async function stopAll(stoppables: Iterable<{ stop(): Promise<void> }>): Promise<void> {
  await Promise.allSettled([...stoppables].map((item) => item.stop()));
}

function noSide(list: string, type: string, side: string): HookyardError {
  return new HookyardError("CONFIG_INVALID", `${list}: connector type ${JSON.stringify(type)} has no ${side} side`);
}
