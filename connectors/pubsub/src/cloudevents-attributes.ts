import type { Envelope } from "@hookyard/core";

/**
 * CloudEvents binary-mode attributes for an envelope: its own headers first, then `ce-*` and `content-type`
 * from the envelope's fields, which win on a clash (they are what the event is).
 */
export function cloudEventAttributes(envelope: Envelope): Record<string, string> {
  const attributes: Record<string, string> = { ...envelope.headers };
  attributes["ce-specversion"] = "1.0";
  attributes["ce-id"] = envelope.id;
  attributes["ce-source"] = envelope.source;
  attributes["ce-type"] = envelope.type;
  attributes["ce-time"] = envelope.time;
  if (envelope.subject !== undefined) attributes["ce-subject"] = envelope.subject;
  else delete attributes["ce-subject"];
  attributes["content-type"] = envelope.contentType;
  return attributes;
}
