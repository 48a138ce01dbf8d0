// Runs the conformance kit against a small in-memory broker, so the kit itself is tested (and shows what a
// conforming source does: lease, deliver, ack only after deliver resolved, per-key order, bounded in-flight).
import type { Deliver, Sink, Source, SourceContext } from "../connector.js";
import type { Envelope } from "../envelope.js";
import { connectionError, HookyardError, isRetryable } from "../errors.js";
import type { SourceMessage } from "../mapping/value-source.js";
import { type BatchItem, batchItems, publishInBatches } from "../publish-in-batches.js";
import { sinkPartialFailure } from "../sink-failure.js";
import type { SourceOverrides, TestMessage } from "./harness.js";
import { describeSinkConformance, describeSourceConformance } from "./index.js";

interface Stored {
  readonly message: TestMessage;
  readonly offset: number;
  acked: boolean;
  leased: boolean;
}

function createMemoryQueue() {
  const stored: Stored[] = [];
  const listeners = new Set<() => void>();
  return {
    stored,
    listeners,
    publish(messages: readonly TestMessage[]) {
      for (const message of messages) stored.push({ message, offset: stored.length, acked: false, leased: false });
      for (const listener of listeners) listener();
    },
  };
}

function createMemorySource(
  queue: ReturnType<typeof createMemoryQueue>,
  ctx: SourceContext,
  overrides: SourceOverrides = {},
): Source {
  const maxInFlight = overrides.maxInFlight ?? 8;
  const maxMessageBytes = overrides.maxMessageBytes ?? 1024 * 1024;
  const inFlight = new Set<Promise<void>>();
  let deliver: Deliver | undefined;
  let running = false;
  let stopping: Promise<void> | undefined;

  const next = (): Stored | undefined => {
    const busyKeys = new Set<string>();
    for (const item of queue.stored) {
      if (item.acked) continue;
      const key = item.message.key;
      if (key !== undefined && busyKeys.has(key)) continue;
      if (key !== undefined) busyKeys.add(key);
      if (!item.leased) return item;
    }
    return undefined;
  };

  const process = async (item: Stored, to: Deliver): Promise<void> => {
    const message: SourceMessage = {
      data: item.message.data,
      headers: item.message.headers,
      source: `memory:${ctx.sourceId}`,
      defaults: {
        idempotencyKey: `memory:${item.offset}`,
        ...(item.message.key === undefined ? {} : { key: item.message.key }),
      },
    };
    try {
      if (message.data.byteLength > maxMessageBytes) {
        await ctx.deadLetter(message, `message of ${message.data.byteLength} bytes is over maxMessageBytes`);
      } else {
        let envelope: ReturnType<SourceContext["toEnvelope"]>;
        try {
          envelope = ctx.toEnvelope(message);
        } catch (error) {
          await ctx.deadLetter(message, (error as Error).message);
          item.acked = true;
          return;
        }
        try {
          await to(envelope);
        } catch (error) {
          if (isRetryable(error)) return;
          await ctx.deadLetter(message, (error as Error).message);
        }
      }
      item.acked = true;
    } finally {
      item.leased = false;
    }
  };

  const pump = (): void => {
    while (running && deliver !== undefined && inFlight.size < maxInFlight) {
      const item = next();
      if (item === undefined) return;
      item.leased = true;
      const work = process(item, deliver).finally(() => {
        inFlight.delete(work);
        queueMicrotask(pump);
      });
      inFlight.add(work);
    }
  };

  return {
    async start(to) {
      deliver = to;
      running = true;
      queue.listeners.add(pump);
      pump();
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        queue.listeners.delete(pump);
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}

describeSourceConformance({
  broker: "memory",
  capabilities: { orderedByKey: true },
  timeoutMs: 5_000,
  async setup() {
    const queue = createMemoryQueue();
    return {
      createSource: (ctx, overrides) => createMemorySource(queue, ctx, overrides),
      publish: async (messages) => queue.publish(messages),
      cleanup: async () => undefined,
    };
  },
});

/**
 * A memory "broker" with the limits brokers have: a request over 256 KiB or 10 messages is refused as a whole, and
 * so is any message over 200 KiB. The sink claims a larger request limit than the broker's (as a sink whose config
 * is behind its broker's would), so the kit also sees it split a request the broker refused.
 */
const BROKER_REQUEST_BYTES = 256 * 1024;
const BROKER_REQUEST_MESSAGES = 10;
const BROKER_MESSAGE_BYTES = 200 * 1024;

function createMemorySink(published: TestMessage[], reachable: boolean): Sink {
  const limits = { maxMessageBytes: BROKER_MESSAGE_BYTES, maxBatchMessages: 10, maxBatchBytes: 1024 * 1024 };
  const tooLarge = (error: unknown) => error instanceof HookyardError && error.code === "MESSAGE_REJECTED";
  const publish = async (items: readonly BatchItem[]) => {
    if (!reachable) throw connectionError("memory broker: connection refused");
    const bytes = items.reduce((sum, item) => sum + item.size, 0);
    if (bytes > BROKER_REQUEST_BYTES || items.length > BROKER_REQUEST_MESSAGES) {
      throw new HookyardError("MESSAGE_REJECTED", `request of ${bytes} bytes refused`);
    }
    for (const { envelope: e } of items) {
      const headers: Record<string, string> = {
        ...e.headers,
        "ce-id": e.id,
        "ce-type": e.type,
        "ce-source": e.source,
        "ce-time": e.time,
        "content-type": e.contentType,
        ...(e.subject === undefined ? {} : { "ce-subject": e.subject }),
      };
      published.push({ data: e.data, headers, ...(e.key === undefined ? {} : { key: e.key }) });
    }
    return [];
  };
  const sizeOf = (envelope: Envelope) => envelope.data.byteLength;
  return {
    async send(batch) {
      const failures = await publishInBatches(batchItems(batch, sizeOf), {
        where: "memory sink",
        limits,
        publish,
        isTooLarge: tooLarge,
        translate: (error) => (error instanceof HookyardError ? error : connectionError(String(error))),
        sequential: true,
      });
      if (failures.length > 0) throw sinkPartialFailure("memory sink", batch.length, failures);
    },
    async stop() {},
    limits: () => limits,
    sizeOf,
  };
}

describeSinkConformance({
  broker: "memory",
  capabilities: { keyPreserved: true },
  timeoutMs: 5_000,
  async setup() {
    const published: TestMessage[] = [];
    return {
      createSink: () => createMemorySink(published, true),
      createUnreachableSink: () => createMemorySink(published, false),
      readBack: async (count) => published.slice(0, count),
      cleanup: async () => undefined,
    };
  },
});
