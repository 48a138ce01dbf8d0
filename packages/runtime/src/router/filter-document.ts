import type { Envelope } from "@hookyard/core";

const decoder = new TextDecoder();

/**
 * What subscription filters see: `{ id, type, source, subject, headers, data }`. `data` is the JSON-parsed body,
 * parsed on first access and at most once; a body that is not JSON reads as missing, so `data.*` conditions fail
 * (and only `$exists: false`, `$neq`, `$nin`, `$not` can match it).
 */
export function filterDocument(envelope: Envelope): Readonly<Record<string, unknown>> {
  let parsed = false;
  let data: unknown;
  return {
    id: envelope.id,
    type: envelope.type,
    source: envelope.source,
    subject: envelope.subject,
    headers: envelope.headers,
    get data(): unknown {
      if (!parsed) {
        parsed = true;
        data = parseJson(envelope.data);
      }
      return data;
    },
  };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}
