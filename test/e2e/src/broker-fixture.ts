/** One event a test publishes on a broker: `id` and `type` travel as CloudEvents binary-mode headers/attributes. */
export interface TestEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Uint8Array;
  /** More headers/attributes besides ce-id and ce-type. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What the broker suites need from a broker: publish with the broker's own Node client, and the `sources[]` entry
 * of a Hookyard config that consumes what was published. One fixture = one topic/queue/subscription of its own.
 */
export interface BrokerFixture {
  readonly name: string;
  /** Publishes in order, in batches, and resolves once the broker confirmed every message. */
  publish(events: readonly TestEvent[]): Promise<void>;
  /** The `sources[]` entry (id, type, config) that consumes this fixture's topic/queue/subscription. */
  source(id?: string): Record<string, unknown>;
  cleanup(): Promise<void>;
}

/** A JSON body naming the event, as the crash and restart suites send it (they compare bodies byte for byte). */
export function jsonEvent(id: string, type = "e2e.test"): TestEvent {
  return { id, type, data: Buffer.from(JSON.stringify({ id })) };
}

/** Runs `work` over `items` in chunks of `size`, `parallel` chunks at a time, preserving nothing but completion. */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  parallel: number,
  work: (chunk: readonly T[]) => Promise<void>,
): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  const lane = async () => {
    for (let chunk = chunks[next++]; chunk !== undefined; chunk = chunks[next++]) await work(chunk);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, lane));
}
