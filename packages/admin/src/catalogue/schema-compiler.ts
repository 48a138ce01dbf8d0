import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { JsonSchema } from "./event-type.js";

/** Why a schema cannot be used: `path` is the JSON pointer inside the schema ("" = the schema as a whole). */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

export interface SchemaCompiler {
  /** A validation function, or the schema's first problem. Compiling is costly: cache the result. */
  compile(schema: JsonSchema): { readonly validate: ValidateFunction } | { readonly problem: SchemaProblem };
}

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/**
 * Compiles event-type schemas with Ajv: JSON Schema 2020-12 by default, draft-07 when the schema says so, the
 * standard formats (date-time, email, uri, …) checked. Strict about the schema itself (an unknown keyword is a
 * typo, not an annotation), so `hookyard validate` catches it before it silently accepts everything.
 */
export function createSchemaCompiler(): SchemaCompiler {
  const options = { strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allErrors: false };
  const modern = new Ajv2020(options);
  const draft07 = new Ajv(options);
  // ajv-formats is CommonJS: under NodeNext its plugin is the module's `default` (also at run time).
  addFormats.default(modern as unknown as Ajv);
  addFormats.default(draft07);
  return {
    compile(schema) {
      const ajv = typeof schema.$schema === "string" && DRAFT_07.test(schema.$schema) ? draft07 : modern;
      if (!ajv.validateSchema(schema)) return { problem: firstProblem(ajv.errors ?? []) };
      try {
        return { validate: ajv.compile(schema as Record<string, unknown>) };
      } catch (error) {
        return { problem: { path: "", message: error instanceof Error ? error.message : String(error) } };
      }
    },
  };
}

function firstProblem(errors: readonly ErrorObject[]): SchemaProblem {
  const first = errors[0];
  if (first === undefined) return { path: "", message: "is not a valid JSON Schema" };
  return { path: first.instancePath, message: describeError(first) };
}

/** Ajv's message, with the allowed values when it has them ("must be equal to one of the allowed values: …"). */
export function describeError(error: ErrorObject): string {
  const message = error.message ?? "is invalid";
  const params = error.params as { allowedValues?: unknown; additionalProperty?: unknown };
  if (Array.isArray(params.allowedValues)) return `${message}: ${params.allowedValues.map(String).join(", ")}`;
  if (typeof params.additionalProperty === "string") return `${message}: ${params.additionalProperty}`;
  return message;
}

/** A JSON pointer ("/items/0/sku") as the JSONPath people read ("$.items[0].sku"). */
export function jsonPathOf(pointer: string): string {
  if (pointer === "") return "$";
  return `$${pointer
    .split("/")
    .slice(1)
    .map((raw) => raw.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((part) =>
      /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`,
    )
    .join("")}`;
}
