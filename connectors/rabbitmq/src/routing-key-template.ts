import { configError, type Envelope, permanentError } from "@hookyard/core";

const FIELDS = ["type", "source", "subject", "key"] as const;
type Field = (typeof FIELDS)[number];
const PLACEHOLDER = /\{([^{}]*)\}/g;
const MAX_ROUTING_KEY_BYTES = 255;

/** Renders a routing key like "webhooks.{type}" for one envelope. */
export type RoutingKeyTemplate = (envelope: Envelope) => string;

/** Compiles a routing-key template, refusing unknown placeholders at start-up (CONFIG_INVALID naming `where`). */
export function compileRoutingKeyTemplate(template: string, where: string): RoutingKeyTemplate {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw configError(`${where}: unknown placeholder {${name}} (use ${FIELDS.map((f) => `{${f}}`).join(", ")})`);
    }
  }
  return (envelope) => {
    const key = template.replace(PLACEHOLDER, (_, name: Field) => {
      const value = envelope[name];
      if (value === undefined) throw permanentError(`${where}: event ${envelope.id} has no ${name} for {${name}}`);
      return value;
    });
    if (Buffer.byteLength(key) > MAX_ROUTING_KEY_BYTES) {
      throw permanentError(`${where}: the routing key of event ${envelope.id} is over ${MAX_ROUTING_KEY_BYTES} bytes`);
    }
    return key;
  };
}
