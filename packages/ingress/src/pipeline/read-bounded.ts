import type { Readable } from "node:stream";

/** Fastify's own code for a body over its limit, so one error handler answers 413 for both. */
export const BODY_TOO_LARGE = "FST_ERR_CTP_BODY_TOO_LARGE";

/**
 * Reads a request body of at most `limit` bytes into one buffer. Refuses at once when the announced
 * content-length is over it, and stops reading (chunked bodies included) as soon as the bytes are.
 */
export function readBounded(payload: Readable, limit: number, announced: number): Promise<Buffer> {
  if (announced > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        payload.resume(); // let the rest drain; the answer goes out without waiting for it
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      payload.off("data", onData);
      payload.off("end", onEnd);
      payload.off("error", onError);
    };
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onError);
  });
}

function tooLarge(): Error & { code: string; statusCode: number } {
  return Object.assign(new Error("the body is larger than this route accepts"), {
    code: BODY_TOO_LARGE,
    statusCode: 413,
  });
}
