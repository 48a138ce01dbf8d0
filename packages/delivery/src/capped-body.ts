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
 * Reads a response body keeping at most `maxBytes`. Past the cap it stops and destroys the stream (undici then
 * drops that connection) instead of draining or buffering an unbounded body.
 */
export async function readCappedBody(body: Readable, maxBytes: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let error: unknown;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        truncated = true;
        break; // ends the iteration, which destroys the stream
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (caught) {
    error = caught;
    truncated = true;
  }
  if (!body.destroyed) body.destroy();
  const text = Buffer.concat(chunks, size).toString("utf8");
  return error === undefined ? { text, truncated } : { text, truncated, error };
}
