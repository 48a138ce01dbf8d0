// Runs the conformance kit against a small in-memory broker, so the kit itself is tested (and shows what a
// conforming source does: lease, deliver, ack only after deliver resolved, per-key order, bounded in-flight).
import type { Deliver, Sink, Source, SourceContext } from "../connector.js";
import { isRetryable } from "../errors.js";
import type { SourceMessage } from "../mapping/value-source.js";
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

describeSinkConformance({
  broker: "memory",
  capabilities: { keyPreserved: true },
  timeoutMs: 5_000,
  async setup() {
    const published: TestMessage[] = [];
    const createSink = (): Sink => ({
      async send(batch) {
        for (const e of batch) {
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
      },
      async stop() {},
    });
    return {
      createSink,
      readBack: async (count) => published.slice(0, count),
      cleanup: async () => undefined,
    };
  },
});
