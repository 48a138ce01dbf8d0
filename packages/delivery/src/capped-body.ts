import type { Readable } from "node:stream";

export interface CappedBody {
  /** UTF-8 text of the bytes kept. */
  readonly text: string;
  /** More bytes were sent than kept (cap reached, or the read ended early on an error). */
  readonly truncated: boolean;
  /** Why reading stopped early, when it did on an error (timeout, reset). */
  readonly error?: unknown;
}

/**
 * The first `maxBytes` of a response body, fed chunk by chunk. Shared by the stream reader below and the delivery
 * client's dispatch handler, so both cut at the same byte.
 */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  /** Keeps what fits of `chunk`; false once bytes had to be dropped, i.e. the reader should stop. */
  add(chunk: Buffer): boolean {
    const room = this.maxBytes - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.maxBytes;
      this.dropped = true;
      return false;
    }
    if (chunk.length > 0) this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  /** Bytes arrived past the cap and were dropped. */
  get truncated(): boolean {
    return this.dropped;
  }

  /** UTF-8 text of the bytes kept (a character split by the cap decodes as U+FFFD). */
  text(): string {
    // Most answers are one small chunk ("ok"): decode it in place instead of copying it first.
    if (this.chunks.length <= 1) return this.chunks[0]?.toString("utf8") ?? "";
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}

/**
 * Reads a response body keeping at most `maxBytes`. Past the cap it stops and destroys the stream (undici then
 * drops that connection) instead of draining or buffering an unbounded body.
 */
export async function readCappedBody(body: Readable, maxBytes: number): Promise<CappedBody> {
  const kept = new CappedBuffer(maxBytes);
  let error: unknown;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (!kept.add(chunk)) break; // ends the iteration, which destroys the stream
    }
  } catch (caught) {
    error = caught;
  }
  if (!body.destroyed) body.destroy();
  const text = kept.text();
  return error === undefined ? { text, truncated: kept.truncated } : { text, truncated: true, error };
}
