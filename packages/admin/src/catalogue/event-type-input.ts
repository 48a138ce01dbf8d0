import { invalid } from "../api-error.js";
import {
  EVENT_TYPE_NAME,
  type EventType,
  type JsonSchema,
  MAX_EVENT_TYPE_JSON_BYTES,
  PAYLOAD_VALIDATIONS,
  type PayloadValidation,
} from "./event-type.js";
import type { SchemaCompiler } from "./schema-compiler.js";

/**
 * An event type from an admin API body (create: `existing` undefined; update: the fields given replace the
 * existing ones, `null` clears an optional one). The schema must compile and the example must match it, so a
 * catalogue entry never documents a payload it would reject.
 */
export function eventTypeFrom(
  body: Record<string, unknown>,
  existing: EventType | undefined,
  compiler: SchemaCompiler,
): EventType {
  const name = existing?.name ?? body.name;
  if (typeof name !== "string" || !EVENT_TYPE_NAME.test(name)) {
    throw invalid(`name must match ${EVENT_TYPE_NAME} (an exact type, no globs)`);
  }
  const description = text(body, "description", 4096) ?? existing?.description ?? "";
  const group = body.group === null ? undefined : (text(body, "group", 256) ?? existing?.group);
  const schema =
    body.schema === null ? undefined : ((jsonField(body, "schema", true) as JsonSchema) ?? existing?.schema);
  const example =
    body.example === null ? undefined : "example" in body ? jsonField(body, "example", false) : existing?.example;
  const deprecated = flag(body, "deprecated") ?? existing?.deprecated ?? false;
  const validation = validationOf(body.validation) ?? existing?.validation ?? "warn";
  if (schema !== undefined) {
    const compiled = compiler.compile(schema);
    if ("problem" in compiled) {
      const where = compiled.problem.path === "" ? "schema" : `schema${compiled.problem.path}`;
      throw invalid(`${where} ${compiled.problem.message}`, { path: `/schema${compiled.problem.path}` });
    }
    if (example !== undefined && !compiled.validate(example)) {
      const error = compiled.validate.errors?.[0];
      throw invalid(`example${error?.instancePath ?? ""} ${error?.message ?? "does not match the schema"}`, {
        path: `/example${error?.instancePath ?? ""}`,
      });
    }
  }
  return {
    name,
    description,
    ...(group === undefined ? {} : { group }),
    ...(schema === undefined ? {} : { schema }),
    ...(example === undefined ? {} : { example }),
    deprecated,
    validation,
  };
}

function text(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length > max) throw invalid(`${field} must be a string of at most ${max}`);
  return value;
}

function flag(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw invalid(`${field} must be true or false`);
  return value;
}

function validationOf(value: unknown): PayloadValidation | undefined {
  if (value === undefined) return undefined;
  if (!PAYLOAD_VALIDATIONS.includes(value as PayloadValidation)) {
    throw invalid(`validation must be one of ${PAYLOAD_VALIDATIONS.join(", ")}`);
  }
  return value as PayloadValidation;
}

function jsonField(body: Record<string, unknown>, field: string, object: boolean): unknown {
  const value = body[field];
  if (value === undefined) return undefined;
  if (object && (typeof value !== "object" || value === null || Array.isArray(value))) {
    throw invalid(`${field} must be a JSON object (a JSON Schema)`);
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_EVENT_TYPE_JSON_BYTES) {
    throw invalid(`${field} must be at most ${MAX_EVENT_TYPE_JSON_BYTES} bytes of JSON`);
  }
  return value;
}
