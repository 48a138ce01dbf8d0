import { type ConnectorDefinition, formatDuration, formatSize } from "@hookyard/core";
import { PROVIDER_EXAMPLES, routeSchema, ruleSchema, VERIFIERS } from "@hookyard/ingress";
import type { Schema } from "convict";
import { describeFormat } from "./describe-format.js";
import { durationListFormat, optionalDurationFormat } from "./formats.js";
import { REFERENCE_INTRO } from "./reference-intro.js";
import {
  endpointSchema,
  eventTypeSchema,
  operatorEndpointSchema,
  runtimeSchema,
  sinkEntrySchema,
  sourceEntrySchema,
  subscriptionSchema,
} from "./schema.js";
import { type SchemaLeaf, schemaLeaves } from "./schema-walk.js";

/**
 * The Markdown configuration reference (docs/config.md): the runtime's keys and each connector's source and sink
 * keys, straight from the convict schemas (key, what it accepts, default, secret or not, doc).
 */
export function renderConfigReference(connectors: readonly ConnectorDefinition[]): string {
  const parts = [
    REFERENCE_INTRO,
    "## Top level\n",
    table(runtimeSchema, ""),
    "| `endpoints` | a list | `[]` |  | Customer endpoints; see [endpoints](#endpoints). |",
    "| `subscriptions` | a list | `[]` |  | Which events go to which endpoints; see [subscriptions](#subscriptions). |",
    "| `sources` | a list | `[]` |  | Source connectors; see [sources](#sources). |",
    "| `sinks` | a list | `[]` |  | Sink connectors; see [sinks](#sinks). |",
    "| `eventTypes` | a list | `[]` |  | The event-type catalogue (docs, schemas, payload validation); see [eventTypes](#eventtypes). |",
    "",
    "## endpoints\n\nEach item of `endpoints`:\n",
    table(endpointSchema, "endpoints[]."),
    "",
    "## subscriptions\n\nEach item of `subscriptions`:\n",
    table(subscriptionSchema, "subscriptions[]."),
    "",
    "## eventTypes\n\nEach item of `eventTypes` (the catalogue customers pick from in the portal; the admin API adds more):\n",
    table(eventTypeSchema, "eventTypes[]."),
    "",
    "## sources\n\nEach item of `sources`; its `config` follows the connector's source schema below:\n",
    table(sourceEntrySchema, "sources[]."),
    "",
    "## sinks\n\nEach item of `sinks`; its `config` follows the connector's sink schema below:\n",
    table(sinkEntrySchema, "sinks[]."),
    "",
    renderIngressReference(),
    '## operator.endpoints\n\nEach item of `operator.endpoints` (where operator alerts are sent; see docs/production.md, "Operator alerts"). The keys are an endpoint\'s, without `owner`, plus `events`:\n',
    table(operatorEndpointSchema as Schema<unknown>, "operator.endpoints[]."),
    "",
    "## Connectors\n",
  ];
  const sorted = [...connectors].sort((a, b) => a.type.localeCompare(b.type));
  if (sorted.length === 0) parts.push("No built-in connectors are registered yet.\n");
  for (const connector of sorted) parts.push(renderConnectorReference(connector));
  return `${parts.join("\n").trimEnd()}\n`;
}

/** `ingress.routes`: every route key with its default, the rule keys, and each verifier's keys with an example. */
function renderIngressReference(): string {
  const parts = [
    "## ingress.routes\n",
    "Each item of `ingress.routes` is one inbound webhook route (`POST <path>`): its verifier, limits, de-duplication " +
      "and rules. What each step answers, and why, is in [ingress.md](ingress.md); each provider has its page in " +
      "[ingress/](ingress/).\n",
    table(routeSchema as Schema<unknown>, "ingress.routes[]."),
    "",
    "### rules\n\nEach item of `ingress.routes[].rules`:\n",
    table(ruleSchema as Schema<unknown>, "ingress.routes[].rules[]."),
    "",
    "### Verifiers\n",
    "`ingress.routes[].verifier.type` picks one of these; its other keys are the type's own.\n",
  ];
  for (const [type, definition] of Object.entries(VERIFIERS)) {
    parts.push(`#### ${type}\n`, table(definition.schema as Schema<unknown>, "ingress.routes[].verifier."), "");
    const example = PROVIDER_EXAMPLES[type];
    if (example !== undefined) {
      const indented = example
        .split("\n")
        .map((line) => `    ${line}`)
        .join("\n");
      parts.push("```yaml", "ingress:", "  routes:", indented, "```", "");
    }
  }
  return parts.join("\n");
}

/** One connector's section: its source and sink `config` keys (what `hookyard describe <type>` prints). */
export function renderConnectorReference(connector: ConnectorDefinition): string {
  const parts = [`### ${connector.type}\n`];
  if (connector.source !== undefined) {
    parts.push(
      `Source \`config\` (\`sources[].type: ${connector.type}\`):\n`,
      table(connector.source.schema as Schema<unknown>, ""),
      "",
    );
  }
  if (connector.sink !== undefined) {
    parts.push(
      `Sink \`config\` (\`sinks[].type: ${connector.type}\`):\n`,
      table(connector.sink.schema as Schema<unknown>, ""),
      "",
    );
  }
  return parts.join("\n");
}

/**
 * The keys of one ingress verifier type (`ingress.routes[].verifier` with `type: <type>`), for its provider page in
 * docs/ingress/ (spliced in by `npm run docs`): what each accepts, secrets' minimum lengths included.
 */
export function renderVerifierReference(schema: Schema<unknown>): string {
  return `${table(schema, "verifier.")}\n`;
}

function table(schema: Schema<unknown>, prefix: string): string {
  const rows = schemaLeaves(schema).map((leaf) => {
    const cells = [
      `\`${prefix}${leaf.name}\``,
      describeFormat(leaf.spec),
      formatDefault(leaf),
      leaf.sensitive ? "secret" : "",
      typeof leaf.spec.doc === "string" ? leaf.spec.doc : "",
    ];
    return `| ${cells.map(escapeCell).join(" | ")} |`;
  });
  return ["| Key | Accepts | Default | Secret | Description |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

function formatDefault(leaf: SchemaLeaf): string {
  const value = leaf.spec.default;
  const format = leaf.spec.format;
  if (value === null || value === undefined) return leaf.spec.nullable === true ? "unset" : "required";
  if ((format === "duration" || format === optionalDurationFormat) && typeof value === "number") {
    return `\`${formatDuration(value)}\``;
  }
  if (format === "size" && typeof value === "number") return `\`${formatSize(value)}\``;
  if (format === durationListFormat && Array.isArray(value)) {
    return `\`[${value.map((item) => (typeof item === "number" ? formatDuration(item) : String(item))).join(", ")}]\``;
  }
  if (typeof value === "string") return value === "" ? '`""`' : `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
