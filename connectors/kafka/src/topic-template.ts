import { configError, type Envelope, permanentError } from "@hookyard/core";

const FIELDS = ["type", "source", "subject", "key"] as const;
type Field = (typeof FIELDS)[number];
const PLACEHOLDER = /\{([^{}]*)\}/g;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Renders a topic like "webhooks.{type}" for one envelope; a constant topic is returned as it is. */
export type TopicTemplate = (envelope: Envelope) => string;

/** Compiles a topic template, refusing unknown placeholders at start-up (CONFIG_INVALID naming `where`). */
export function compileTopicTemplate(template: string, where: string): TopicTemplate {
  if (template.length === 0) throw configError(`${where} must name a topic`);
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw configError(`${where}: unknown placeholder {${name}} (use ${FIELDS.map((f) => `{${f}}`).join(", ")})`);
    }
  }
  return (envelope) => {
    const topic = template.replace(PLACEHOLDER, (_, name: Field) => {
      const value = envelope[name];
      if (value === undefined) throw permanentError(`${where}: event ${envelope.id} has no ${name} for {${name}}`);
      return value;
    });
    if (!TOPIC_NAME.test(topic)) {
      throw permanentError(`${where}: ${JSON.stringify(topic)} is not a valid Kafka topic name (event ${envelope.id})`);
    }
    return topic;
  };
}
