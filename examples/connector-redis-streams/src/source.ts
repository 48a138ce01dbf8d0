import { hostname } from "node:os";
import {
  type Deliver,
  HookyardError,
  isRetryable,
  type Source,
  type SourceContext,
  type SourceMessage,
} from "@hookyard/core";
import { Redis } from "ioredis";
import type { RedisStreamsSourceConfig } from "./config.js";

type Entry = [id: Buffer, fields: Buffer[]];

/**
 * Consumes a Redis stream with a consumer group. Entries are acked (XACK) only after Hookyard made them durable;
 * a rejected entry stays pending and is redelivered; poison entries are dead-lettered and acked.
 * Entry fields: `data` (the payload bytes), `ce-*`/other fields become headers.
 */
export function createRedisStreamsSource(config: RedisStreamsSourceConfig, ctx: SourceContext): Source {
  const consumer = config.consumer || `${hostname()}-${process.pid}`;
  let redis: Redis | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();

  async function handle(deliver: Deliver, client: Redis, [rawId, fields]: Entry): Promise<void> {
    const id = rawId.toString();
    const message = toSourceMessage(ctx.sourceId, config, id, fields);
    try {
      await deliver(ctx.toEnvelope(message));
    } catch (error) {
      if (isRetryable(error)) {
        // Left pending: claimed again after claimIdleMs, or re-read from "0" at the next start.
        ctx.logger.warn({ entryId: id, err: error }, "entry not accepted; it stays pending for redelivery");
        return;
      }
      await ctx.deadLetter(message, error instanceof Error ? error.message : String(error));
    }
    await client.xack(config.stream, config.group, id);
  }

  async function run(deliver: Deliver, client: Redis): Promise<void> {
    // First our own pending entries (a restart after a crash), then new ones.
    let cursor = "0";
    while (running) {
      const free = config.maxInFlight - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      let entries: Entry[] = [];
      try {
        // Buffers, not strings: payloads are bytes.
        const claimed = (await client.callBuffer(
          "XAUTOCLAIM",
          config.stream,
          config.group,
          consumer,
          config.claimIdleMs,
          "0-0",
          "COUNT",
          free,
        )) as unknown[];
        entries = (claimed[1] as Entry[] | undefined) ?? [];
        if (entries.length === 0) {
          const read = (await client.callBuffer(
            "XREADGROUP",
            "GROUP",
            config.group,
            consumer,
            "COUNT",
            free,
            ...(cursor === ">" ? ["BLOCK", config.blockMs] : []),
            "STREAMS",
            config.stream,
            cursor,
          )) as [Buffer, Entry[]][] | null;
          entries = read?.[0]?.[1] ?? [];
          if (cursor === "0" && entries.length === 0) cursor = ">";
        }
      } catch (error) {
        if (!running) break;
        ctx.logger.warn({ err: error }, "reading the stream failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      // Read but stopping: left pending, redelivered from "0" at the next start.
      if (!running) break;
      for (const entry of entries) {
        if (entry[1] === null || entry[1] === undefined) continue; // deleted meanwhile
        const task: Promise<void> = handle(deliver, client, entry)
          .catch((error: unknown) => ctx.logger.error({ err: error }, "entry handling failed"))
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  }

  return {
    async start(deliver) {
      if (running) throw new HookyardError("SOURCE_STARTED", "the source is already started");
      // RESP2: the raw XAUTOCLAIM / XREADGROUP replies below are read in their RESP2 shape (ioredis 6 speaks RESP3
      // by default, where XREADGROUP's reply is a map that callBuffer hands back flattened).
      redis = new Redis(config.url, { lazyConnect: true, maxRetriesPerRequest: null, protocol: 2 });
      await redis.connect();
      if (config.createGroup) {
        try {
          await redis.xgroup("CREATE", config.stream, config.group, "0", "MKSTREAM");
        } catch (error) {
          if (!String(error).includes("BUSYGROUP")) throw error;
        }
      }
      running = true;
      loop = run(deliver, redis);
    },
    async stop() {
      if (!running && !redis) return;
      running = false;
      const client = redis;
      redis = undefined;
      // A blocked XREADGROUP would hold stop for blockMs: disconnecting ends it, after in-flight work settled.
      await Promise.allSettled([...inFlight]);
      client?.disconnect();
      await loop?.catch(() => undefined);
    },
  };
}

function toSourceMessage(
  sourceId: string,
  config: RedisStreamsSourceConfig,
  id: string,
  fields: Buffer[],
): SourceMessage {
  let data: Uint8Array = new Uint8Array();
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]?.toString() ?? "";
    const value = fields[i + 1] ?? Buffer.alloc(0);
    if (name === "data") data = new Uint8Array(value);
    else headers[name] = value.toString();
  }
  const millis = Number(id.split("-")[0]);
  return {
    data,
    headers,
    source: `redis-streams:${sourceId}`,
    ...(headers["content-type"] === undefined ? {} : { contentType: headers["content-type"] }),
    defaults: {
      id,
      time: new Date(millis),
      idempotencyKey: `redis-streams:${config.stream}:${config.group}:${id}`,
    },
  };
}
