import { REJECTED_KEPT_PER_ORIGIN, type RejectedMessage } from "./store.js";

/** The stored form of a rejected message: JSON with the payload as base64, so any bytes survive. */
export function encodeRejected(message: RejectedMessage): string {
  return JSON.stringify({
    origin: message.origin,
    reason: message.reason,
    at: message.at,
    headers: message.headers,
    data: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength).toString("base64"),
    ...(message.idempotencyKey === undefined ? {} : { idempotencyKey: message.idempotencyKey }),
  });
}

export function decodeRejected(text: string): RejectedMessage {
  const stored = JSON.parse(text) as Omit<RejectedMessage, "data"> & { data: string };
  return { ...stored, data: new Uint8Array(Buffer.from(stored.data, "base64")) };
}

/** In-process rejected-message log for the embedded store: newest first, capped per origin. */
export function createRejectedLog(capacity = REJECTED_KEPT_PER_ORIGIN) {
  const byOrigin = new Map<string, RejectedMessage[]>();
  return {
    keep(message: RejectedMessage): void {
      let list = byOrigin.get(message.origin);
      if (!list) {
        list = [];
        byOrigin.set(message.origin, list);
      }
      list.unshift(message);
      if (list.length > capacity) list.length = capacity;
    },
    list(origin: string, limit: number): RejectedMessage[] {
      return (byOrigin.get(origin) ?? []).slice(0, Math.max(0, limit));
    },
  };
}
