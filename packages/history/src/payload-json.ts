import type { Envelope } from "@hookyard/core";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Escapes PostgreSQL's jsonb refuses (NUL) or its json parser may (lone surrogates): such payloads are kept as
// bytes, not searchable, rather than failing a whole batch.
const REFUSED_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The payload's text when it is a JSON document that can be stored as such (searchable with containment) and
 * read back byte for byte: a JSON content type, valid UTF-8, parseable. Undefined otherwise (kept as bytes).
 */
export function payloadJsonText(envelope: Envelope): string | undefined {
  if (!/json/i.test(envelope.contentType) || envelope.data.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(envelope.data);
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return REFUSED_ESCAPE.test(text) ? undefined : text;
}
