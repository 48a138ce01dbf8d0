import type { ConnectorDefinition } from "@hookyard/core";
import { routeSchema, ruleSchema, VERIFIERS } from "@hookyard/ingress";
import type { Schema } from "convict";
import {
  endpointSchema,
  eventTypeSchema,
  operatorEndpointSchema,
  runtimeSchema,
  sinkEntrySchema,
  sourceEntrySchema,
  subscriptionSchema,
} from "./schema.js";
import { isGroup } from "./schema-walk.js";

/** A JSON Schema (draft 2020-12) node. */
export type JsonSchema = { readonly [key: string]: unknown };

const QUANTITY = "^\\s*\\d+(\\.\\d+)?\\s*";
const INTERPOLATED: JsonSchema = {
  type: "string",
  pattern: "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}",
  description: "A reference to an environment variable ($VAR in braces, optionally with :-default), read at start-up.",
};

/**
 * The JSON Schema of a config file, for editors (yaml-language-server, VS Code) and CI checks: generated from the
 * same convict schemas the loader validates with (runtime keys, endpoints, subscriptions, sources and sinks with
 * each built-in connector's source/sink keys, ingress routes with each verifier's keys). It checks key names and
 * shapes; `hookyard validate` remains the full check (values that depend on each other, ids, secrets' formats).
 * Keys that take numbers or booleans also accept a `${VAR}` reference, as the loader does.
 */
export function configJsonSchema(connectors: readonly ConnectorDefinition[]): JsonSchema {
  const runtime = convictToJsonSchema(runtimeSchema as Schema<unknown>, {
    "ingress.routes": routeListSchema(),
    "operator.endpoints": listOf(
      convictToJsonSchema(operatorEndpointSchema as Schema<unknown>, { headers: stringMap() }),
    ),
  });
  const properties = runtime.properties as Record<string, JsonSchema>;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "Hookyard config",
    description: "A Hookyard config file. Every key is documented in docs/config.md (`hookyard describe`).",
    type: "object",
    additionalProperties: false,
    properties: {
      ...properties,
      endpoints: listOf(convictToJsonSchema(endpointSchema as Schema<unknown>, { headers: stringMap() })),
      subscriptions: listOf(convictToJsonSchema(subscriptionSchema as Schema<unknown>, { filter: anyObject() })),
      sources: listOf(connectorEntrySchema(sourceEntrySchema as Schema<unknown>, connectors, "source")),
      sinks: listOf(connectorEntrySchema(sinkEntrySchema as Schema<unknown>, connectors, "sink")),
      // A type's payload schema and example are free-form JSON (the schema is checked as a JSON Schema itself).
      eventTypes: listOf(convictToJsonSchema(eventTypeSchema as Schema<unknown>, { schema: anyObject(), example: {} })),
    },
  };
}

/**
 * One convict schema as a JSON Schema object: groups become nested objects without unknown keys, each key's
 * `doc` its description. `overrides` replaces the schema of some keys (dotted paths), e.g. free-form ones.
 */
export function convictToJsonSchema(
  schema: Schema<unknown>,
  overrides: Readonly<Record<string, JsonSchema>> = {},
  prefix = "",
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, node] of Object.entries(schema as Record<string, unknown>)) {
    const path = `${prefix}${key}`;
    const override = overrides[path];
    if (override !== undefined) {
      const doc = isGroup(node) ? undefined : (node as { doc?: unknown }).doc;
      properties[key] = typeof doc === "string" ? { description: doc, ...override } : override;
    } else if (isGroup(node)) {
      properties[key] = convictToJsonSchema(node as Schema<unknown>, overrides, `${path}.`);
    } else {
      const spec = (node !== null && typeof node === "object" ? node : { default: node }) as Record<string, unknown>;
      properties[key] = leafSchema(spec);
      if (spec.default === null && spec.nullable !== true) required.push(key);
    }
  }
  return {
    type: "object",
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

function leafSchema(spec: Record<string, unknown>): JsonSchema {
  const { format } = spec;
  const described = typeof format === "function" ? (format as { expected?: unknown }).expected : undefined;
  const doc = [spec.doc, typeof described === "string" ? `Expected: ${described}.` : undefined]
    .filter((part) => typeof part === "string")
    .join(" ");
  const base: Record<string, unknown> = { ...valueSchema(spec) };
  const withVariables = base.type === "string" || base.type === undefined ? base : { anyOf: [base, INTERPOLATED] };
  const nullable = spec.nullable === true ? { anyOf: [withVariables, { type: "null" }] } : withVariables;
  return {
    ...nullable,
    ...(doc === "" ? {} : { description: doc }),
    ...(spec.sensitive === true ? { writeOnly: true } : {}),
  };
}

function valueSchema(spec: Record<string, unknown>): JsonSchema {
  const { format } = spec;
  if (Array.isArray(format)) return { enum: format };
  switch (format) {
    case "duration":
      return quantity("(ms|s|m|h|d)", "a duration: 500ms, 5s, 5m, 2h, 1d or milliseconds");
    case "size":
      return quantity("(b|kb|mb|gb)", "a size: 512b, 64kb, 1mb, 1gb or bytes");
    case "port":
      return { type: "integer", minimum: 0, maximum: 65535 };
    case "nat":
      return { type: "integer", minimum: 0 };
    case "int":
    case "integer":
      return { type: "integer" };
    case Boolean:
    case "Boolean":
      return { type: "boolean" };
    case Number:
    case "Number":
      return { type: "number" };
    case String:
    case "String":
      return { type: "string" };
    case Array:
    case "Array":
      return { type: "array" };
    case Object:
    case "Object":
      return { type: "object" };
  }
  if (typeof format === "function") {
    const { kind, item } = format as { kind?: unknown; item?: unknown };
    if (kind === "number") return { type: "number" };
    if (kind === "boolean") return { type: "boolean" };
    if (item !== undefined) return { type: "array" };
  }
  // A custom format: the type its default has, else anything (the loader's check is the full one).
  const value = spec.default;
  if (typeof value === "string") return { type: "string" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (typeof value === "number") return { type: "number" };
  if (Array.isArray(value)) return { type: "array" };
  return {};
}

function quantity(units: string, description: string): JsonSchema {
  return {
    anyOf: [
      { type: "number", minimum: 0 },
      { type: "string", pattern: `${QUANTITY}${units}?\\s*$` },
    ],
    description,
  };
}

/** A source or sink item: its `config` follows the schema of the connector its `type` names. */
function connectorEntrySchema(
  entry: Schema<unknown>,
  connectors: readonly ConnectorDefinition[],
  side: "source" | "sink",
): JsonSchema {
  const base = convictToJsonSchema(entry, { config: anyObject(), mapping: anyObject() });
  const cases = connectors.flatMap((connector) => {
    const schema = connector[side]?.schema;
    if (schema === undefined) return [];
    return [
      {
        if: { properties: { type: { const: connector.type } }, required: ["type"] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
        then: { properties: { config: convictToJsonSchema(schema as Schema<unknown>) } },
      },
    ];
  });
  return cases.length === 0 ? base : { ...base, allOf: cases };
}

/** `ingress.routes`: each route with its rules and its verifier's keys (by verifier `type`). */
function routeListSchema(): JsonSchema {
  const verifierCases = Object.entries(VERIFIERS).map(([type, verifier]) => ({
    if: { properties: { type: { const: type } }, required: ["type"] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
    then: convictToJsonSchema(verifier.schema as Schema<unknown>),
  }));
  const verifier: JsonSchema = {
    type: "object",
    required: ["type"],
    properties: { type: { enum: Object.keys(VERIFIERS) } },
    allOf: verifierCases,
  };
  const rule = convictToJsonSchema(ruleSchema as Schema<unknown>, { match: anyObject() });
  return listOf(convictToJsonSchema(routeSchema as Schema<unknown>, { verifier, rules: listOf(rule) }));
}

function listOf(items: JsonSchema): JsonSchema {
  return { type: "array", items };
}

function anyObject(): JsonSchema {
  return { type: "object" };
}

function stringMap(): JsonSchema {
  return {
    type: "object",
    additionalProperties: { anyOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }] },
  };
}
